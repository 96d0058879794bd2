// `npm run build`, second half: bundles the src-pod programs into out/pod/, as the images get them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundlePodProgram } from '../src-main/lab/images/bundle';
import { POD_PROGRAMS } from '../src-main/lab/images/definitions';
import { repoRoot } from '../src-main/lab/paths';

const outDir = join(repoRoot, 'out', 'pod');
mkdirSync(outDir, { recursive: true });
for (const program of Object.values(POD_PROGRAMS)) {
  const code = await bundlePodProgram(program);
  const file = join(outDir, `${program.name}.cjs`);
  writeFileSync(file, code);
  console.log(`out/pod/${program.name}.cjs  ${(code.length / 1024).toFixed(1)} kB`);
}
