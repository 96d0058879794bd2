// Bundles a src-pod program into one CommonJS file that Debian's Node.js runs inside the images.
import { build } from 'esbuild';
import type { PodProgram } from './definitions';

export const POD_NODE_TARGET = 'node18';

export async function bundlePodProgram(program: PodProgram): Promise<Buffer> {
  const result = await build({
    entryPoints: [program.entry],
    bundle: true,
    platform: 'node',
    target: POD_NODE_TARGET,
    format: 'cjs',
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
    banner: { js: `// ${program.name}: bundled by Sidecar Lab from src-pod; do not edit.` },
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error(`esbuild produced nothing for ${program.entry}`);
  return Buffer.from(file.contents);
}

/** The shell wrapper that makes a bundled program a command on the image's PATH. */
export function commandWrapper(program: PodProgram): string {
  return `#!/bin/sh\nexec node /usr/local/lib/sidecar-lab/${program.name}.cjs "$@"\n`;
}
