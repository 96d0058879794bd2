// A lab whose process dies half-way through `up` is found and removed.
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { cliOk, cliPath, repoRoot, runCli } from './helpers/cli';
import { labResources } from './helpers/docker';

afterAll(async () => {
  await runCli(['down', '--all']);
});

async function killUpHalfWay(): Promise<string[]> {
  const child = spawn(process.execPath, [cliPath, 'up', 'interception'], { cwd: repoRoot, stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  // Half-way: the network, the node and some pods exist, not all of them.
  for (let i = 0; i < 600; i++) {
    const now = await labResources('interception');
    if (now.filter((r) => r.startsWith('container')).length >= 4) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  await exited;
  return labResources('interception');
}

describe('a lab whose process was killed', () => {
  it('is removed by down --all', async () => {
    await runCli(['down', '--all']);
    const left = await killUpHalfWay();
    expect(left.length).toBeGreaterThan(0);
    const down = await cliOk(['down', '--all']);
    expect(down.stderr).toMatch(/removed \d+ objects/);
    expect(await labResources()).toEqual([]);
  });

  it('is cleaned up by the next up, which then succeeds', async () => {
    await killUpHalfWay();
    const up = await cliOk(['up', 'interception']);
    expect(up.stderr).toContain('removing what an earlier, interrupted start left behind');
    await cliOk(['down']);
    expect(await labResources()).toEqual([]);
  });
});
