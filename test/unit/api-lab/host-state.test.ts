// Whether the API's host process runs: a killed host that nobody reaped (a zombie) does not.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { processAlive } from '../../../src-main/lab/api/host-state';

describe('processAlive', () => {
  it('is false for a zombie, true for a running process', async () => {
    // The parent forks a child that exits at once and never waits for it: the child stays a zombie.
    const parent = spawn('python3', ['-c', 'import os, sys, time\npid = os.fork()\nif pid == 0:\n    os._exit(0)\nprint(pid, flush=True)\ntime.sleep(10)'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const zombie = await new Promise<number>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
      await new Promise((r) => setTimeout(r, 300));
      expect(() => process.kill(zombie, 0)).not.toThrow(); // the kernel still answers for it
      expect(processAlive(zombie)).toBe(false);
      expect(processAlive(parent.pid!)).toBe(true);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
