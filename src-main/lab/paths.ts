// Where the project's own files are, whether the core runs from src-main/ under tsx or bundled in out/.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { homedir } from 'node:os';

function findRepoRoot(start: string): string {
  let dir = start;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string };
      if (pkg.name === 'sidecar-lab') return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the sidecar-lab package above ${start}`);
    dir = parent;
  }
}

export const repoRoot = findRepoRoot(import.meta.dirname);
export const resourcesDir = join(repoRoot, 'resources');
export const srcPodDir = join(repoRoot, 'src-pod');

/** Per-user state: lab records, generated pod files, the debootstrap cache. */
export function stateDir(): string {
  const fromEnv = process.env['SIDECAR_LAB_STATE_DIR'];
  if (fromEnv) return fromEnv;
  const xdg = process.env['XDG_STATE_HOME'] ?? join(homedir(), '.local', 'state');
  return join(xdg, 'sidecar-lab');
}
