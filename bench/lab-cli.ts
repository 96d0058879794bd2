// The benchmarks drive the lab through its real command line, as a user would.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '..');
export const cli = resolve(root, 'bin/sidecar-lab.mjs');

/** Runs `sidecar-lab ARGS…` to completion; its stdout, or an error with all it printed. */
export function lab(args: string[]): string {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.status !== 0) throw new Error(`sidecar-lab ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}
