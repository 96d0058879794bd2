// Images: built once by the global setup; a second build rebuilds nothing; save and load round-trip.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliOk } from './helpers/cli';

describe('sidecar-lab images', () => {
  it('rebuilds nothing when the sources have not changed', async () => {
    const build = await cliOk(['images', 'build', '--offline']);
    const steps = build.stderr.split('\n').filter((l) => /^images: (runtime|proxy|demo|tap|node): /.test(l));
    expect(steps.length).toBe(5);
    for (const line of steps) expect(line).toMatch(/up to date \(sidecar-lab\/\w+:[0-9a-f]{12}\)$/);
    expect(build.stdout).toMatch(/^proxy\s+sidecar-lab\/proxy:[0-9a-f]{12}$/m);
  });

  it('lists the lab images', async () => {
    const list = await cliOk(['images', 'list']);
    for (const name of ['runtime', 'proxy', 'demo', 'tap', 'node']) {
      expect(list.stdout).toMatch(new RegExp(`^${name}\\s+\\S*sidecar-lab/${name}:latest`, 'm'));
    }
  });

  it('saves the images to a file and loads them back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sidecar-lab-images-'));
    try {
      const file = join(dir, 'lab-images.tar');
      const save = await cliOk(['images', 'save', file]);
      expect(save.stderr).toMatch(/saved \d+ tags to /);
      expect(statSync(file).size).toBeGreaterThan(50_000_000);
      const load = await cliOk(['images', 'load', file]);
      expect(load.stderr).toContain('sidecar-lab/proxy:latest');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the missing file', async () => {
    const { runCli } = await import('./helpers/cli');
    const r = await runCli(['images', 'load', '/nonexistent/lab.tar']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('/nonexistent/lab.tar: no such file');
  });
});
