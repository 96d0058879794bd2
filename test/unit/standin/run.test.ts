// One life of a stand-in and kubelet's restart back-off around it, with the calls and the clock faked.
import { describe, expect, it } from 'vitest';
import { backoffSeconds, lifeOnce, withRestarts, type RunDeps } from '../../../src-pod/standin/run';
import { parseStandinArgs, type StandinSpec } from '../../../src-pod/standin/spec';

function spec(argv: string[]): StandinSpec {
  const s = parseStandinArgs(argv);
  if (s === 'help') throw new Error('help');
  return s;
}

function fakeDeps(answers: boolean[]): RunDeps & { lines: string[]; slept: number[]; timeouts: number[] } {
  const lines: string[] = [];
  const slept: number[] = [];
  const timeouts: number[] = [];
  return {
    lines,
    slept,
    timeouts,
    log: (l) => lines.push(l),
    sleep: (ms) => {
      slept.push(ms);
      return Promise.resolve();
    },
    call: (_c, timeoutMs) => {
      timeouts.push(timeoutMs);
      const ok = answers.shift() ?? false;
      return Promise.resolve({ ok, detail: ok ? 'HTTP 200' : 'connection refused', ms: 3 });
    },
    listen: () => Promise.resolve({ ports: [8080], close: () => Promise.resolve() }),
  };
}

describe('a stand-in that calls out at start-up', () => {
  it('retries as told, then exits 1 as the app would', async () => {
    const deps = fakeDeps([false, false, false]);
    const s = spec(['--call', 'http://orders:8080/health', '--retries', '2', '--retry-delay', '0.5', '--timeout', '2', '--listen', 'http/8080']);
    expect(await lifeOnce(s, deps)).toBe(1);
    expect(deps.timeouts).toEqual([2000, 2000, 2000]);
    expect(deps.slept).toEqual([500, 500]);
    expect(deps.lines.at(-1)).toMatch(/start-up calls failed; it exits 1/);
  });

  it('serves once its calls answer, or anyway with --on-call-failure serve', async () => {
    const ok = await lifeOnce(spec(['--call', 'http://orders/', '--listen', 'http/8080']), fakeDeps([true]));
    expect(ok).toMatchObject({ ports: [8080] });
    const anyway = await lifeOnce(spec(['--call', 'http://orders/', '--listen', 'http/8080', '--on-call-failure', 'serve']), fakeDeps([false]));
    expect(anyway).toMatchObject({ ports: [8080] });
  });
});

describe("kubelet's back-off", () => {
  it('waits 10 s doubling up to 5 minutes between restarts, and stops with restart never', async () => {
    expect([0, 1, 2, 5, 9].map(backoffSeconds)).toEqual([10, 20, 40, 300, 300]);
    const deps = fakeDeps([]);
    const exits = [1, 1, 1];
    const result = await withRestarts('job', 'always', () => Promise.resolve(exits.shift() ?? 'served'), deps);
    expect(result).toBe('served');
    expect(deps.slept).toEqual([10_000, 20_000, 40_000]);
    expect(await withRestarts('job', 'never', () => Promise.resolve(3), deps)).toBe(3);
  });
});
