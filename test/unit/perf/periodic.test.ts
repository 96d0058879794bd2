// The periodic runner's plan and schedule: fortio's call counts, uniform offsets, and no catch-up after a stall.
import { describe, expect, it } from 'vitest';
import { dueAt, nextSlot, planCalls, runPeriodic, type PeriodicOptions } from '../../../src-pod/perf/periodic';

const base: PeriodicOptions = { qps: 200, connections: 2, durationS: 0.5, uniform: false, noCatchUp: false, jitter: false, resolution: 0.001 };

describe('planCalls', () => {
  it('splits rate × duration over the connections (fortio: 8 qps, 4 threads, 5 s → 10 calls each)', () => {
    expect(planCalls(8, 4, 5)).toEqual({ connections: 4, callsPerConnection: 10, warnings: [] });
    expect(planCalls(1000, 16, 10)).toEqual({ connections: 16, callsPerConnection: 625, warnings: [] });
  });

  it('keeps two calls per connection, lowering the connections as fortio does', () => {
    const few = planCalls(4, 8, 1);
    expect(few.connections).toBe(2);
    expect(few.callsPerConnection).toBe(2);
    expect(few.warnings[0]).toContain('lowering from 8 to 2 threads');
    expect(planCalls(1, 4, 1)).toMatchObject({ connections: 1, callsPerConnection: 2 });
  });

  it('has no plan at max speed', () => {
    expect(planCalls(0, 4, 5)).toEqual({ connections: 4, callsPerConnection: 0, warnings: [] });
  });
});

describe('schedule', () => {
  it('lands the last call of a connection at the end of the duration', () => {
    // 10 calls at 2 per second: 0, 0.5+…, last at 5 s.
    expect(dueAt(0, 10, 2, 0)).toBe(0);
    expect(dueAt(9, 10, 2, 0)).toBeCloseTo(5, 9);
    expect(dueAt(9, 10, 2, 0.25)).toBeCloseTo(5.25, 9);
  });

  it('skips the slots already past with no catch-up, and keeps them otherwise', () => {
    // At 10 per second, a call that ends at 0.35 s has missed slots 1, 2 and 3 (0.1, 0.2, 0.3…).
    const late = nextSlot(1, 100, 0.35, 10, 0, true);
    expect(late.skipped).toBe(3);
    expect(late.i).toBe(4);
    expect(late.sleepS).toBeGreaterThanOrEqual(0);
    const catchUp = nextSlot(1, 100, 0.35, 10, 0, false);
    expect(catchUp).toMatchObject({ i: 1, skipped: 0 });
    expect(catchUp.sleepS).toBeLessThan(0);
  });
});

describe('runPeriodic', () => {
  it('spreads calls uniformly over the connections at the target rate', async () => {
    const starts: number[] = [];
    const r = await runPeriodic({ ...base, uniform: true }, () => {
      starts.push(performance.now());
      return Promise.resolve(200);
    });
    expect(r.durations.count).toBe(100);
    expect(r.codes.get(200)).toBe(100);
    expect(r.actualDurationS).toBeGreaterThan(0.45);
    expect(r.actualDurationS).toBeLessThan(0.8);
    // Uniform: the two connections interleave, so the median gap is about 1/qps (5 ms), not 0 and 10.
    const gaps = starts.slice(1).map((t, i) => t - starts[i]).sort((a, b) => a - b);
    const median = gaps[Math.floor(gaps.length / 2)];
    expect(median).toBeGreaterThan(2);
    expect(median).toBeLessThan(8);
  });

  it('after a stall, skips with -nocatchup and sends back to back without it', async () => {
    const stalled = (opts: PeriodicOptions) => {
      let calls = 0;
      const starts: number[] = [];
      return runPeriodic(opts, async () => {
        starts.push(performance.now());
        if (calls++ === 5) await new Promise((r) => setTimeout(r, 150));
        return 200;
      }).then((r) => ({ r, starts }));
    };
    const one = { ...base, connections: 1, qps: 100 };
    const skip = await stalled({ ...one, noCatchUp: true });
    expect(skip.r.skipped).toBeGreaterThanOrEqual(10);
    expect(skip.r.durations.count).toBe(50 - skip.r.skipped);
    const skipGaps = skip.starts.slice(1).map((t, i) => t - skip.starts[i]);
    expect(skipGaps.filter((g) => g < 2).length).toBeLessThanOrEqual(2);
    const burst = await stalled(one);
    expect(burst.r.skipped).toBe(0);
    expect(burst.r.durations.count).toBe(50);
    const burstGaps = burst.starts.slice(1).map((t, i) => t - burst.starts[i]);
    expect(burstGaps.filter((g) => g < 2).length).toBeGreaterThanOrEqual(10);
  });

  it('runs back to back for the duration at qps 0 and counts the codes', async () => {
    let n = 0;
    const r = await runPeriodic({ ...base, qps: 0, durationS: 0.1 }, () => Promise.resolve(n++ % 2 ? 200 : -1));
    expect(r.requestedQps).toBe('max');
    expect(r.durations.count).toBeGreaterThan(20);
    expect((r.codes.get(200) ?? 0) + (r.codes.get(-1) ?? 0)).toBe(r.durations.count);
  });
});
