// The Electron app starts under Xvfb and its window gets `window.lab`, wherever the Electron binary is present.
//
// npm skips electron's install script here (and its binary cannot be downloaded on our machines),
// so the test runs where `npx electron --version` works and is skipped, saying why, elsewhere.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/cli';

function electronBinary(): string | undefined {
  const pkg = join(createRequire(import.meta.url).resolve('electron/package.json'), '..');
  const pathFile = join(pkg, 'path.txt');
  if (!existsSync(pathFile)) return undefined;
  const binary = join(pkg, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : undefined;
}

const binary = electronBinary();
const xvfbRun = spawnSync('sh', ['-c', 'command -v xvfb-run'], { encoding: 'utf8' }).stdout.trim();

describe('the Electron app', () => {
  if (!binary) console.warn('electron-app.test: no Electron binary (ELECTRON_SKIP_BINARY_DOWNLOAD, or no download): start-up not tested here');

  it.skipIf(!binary)('builds, starts under Xvfb, loads the renderer and gives it window.lab', () => {
    expect(xvfbRun, 'xvfb-run is needed to start Electron without a display (apt-get install xvfb)').not.toBe('');
    const build = spawnSync(process.execPath, [join(repoRoot, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], { cwd: repoRoot, encoding: 'utf8' });
    expect(build.status, build.stderr).toBe(0);
    const run = spawnSync(xvfbRun, ['-a', binary as string, '--no-sandbox', repoRoot], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 90_000,
      env: { ...process.env, SIDECAR_LAB_SMOKE: '1', ELECTRON_ENABLE_LOGGING: '1' },
    });
    expect(run.stdout + run.stderr).toContain('sidecar-lab smoke: loaded "Sidecar Lab", window.lab present');
    expect(run.status).toBe(0);
  }, 180_000);
});
