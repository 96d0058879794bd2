// The sidecar bench's per-process breakdown: /proc/PID/stat read right, ticks to vCPU per group.
import { describe, expect, it } from 'vitest';
import { captureGroups, cpuByGroup, parseStat, type ProcSample } from '../../../bench/process-cpu';

describe('process CPU', () => {
  it('reads utime + stime after a command name with spaces and parentheses', () => {
    const line = '4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 900 0 0 0 150 25 0 0 20 0 1 0 100 1000 200 18446744073709551615';
    expect(parseStat(4242, line)).toEqual({ pid: 4242, comm: 'my (odd) name', ticks: 175 });
    expect(parseStat(1, 'garbage')).toBeUndefined();
  });

  it('sums each group\'s ticks over the interval; a new or reused pid counts from zero; others are left out', () => {
    const before: ProcSample[] = [
      { pid: 10, comm: 'dockerd', ticks: 1000 },
      { pid: 20, comm: 'containerd-shim', ticks: 50 },
      { pid: 30, comm: 'bash', ticks: 10 },
      { pid: 40, comm: 'node', ticks: 500 },
    ];
    const after: ProcSample[] = [
      { pid: 10, comm: 'dockerd', ticks: 1200 },
      { pid: 20, comm: 'containerd-shim', ticks: 70 },
      { pid: 21, comm: 'containerd-shim', ticks: 30 },
      { pid: 30, comm: 'curl', ticks: 40 },
      { pid: 40, comm: 'node', ticks: 900 },
    ];
    const got = cpuByGroup(before, after, 10, captureGroups(40));
    expect(got).toEqual({ dockerd: 0.2, 'containerd-shim': 0.05, 'flow streams (curl in the proxies)': 0.04, 'serve (join, WebSocket)': 0.4 });
    expect(cpuByGroup(before, after, 10, captureGroups(undefined))).not.toHaveProperty('serve (join, WebSocket)');
  });
});
