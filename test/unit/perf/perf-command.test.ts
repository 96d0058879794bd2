// `sidecar-lab perf`'s pure parts: its flags, the load generator's command per mode, the summary and the JSON document.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src-main/cli/args';
import { parsePerfArgs } from '../../../src-main/cli/perf-command';
import { loadCommand, MODE_PATHS, PERF_MODES } from '../../../src-main/lab/perf/modes';
import { addedP90, modeResult, perfJson, summaryTable } from '../../../src-main/lab/perf/summary';
import type { FortioResult } from '../../../src-pod/perf/load';
import { Histogram, withPercentiles } from '../../../src-pod/perf/stats';

/** A fortio result whose call durations are `values` seconds. */
function fortio(values: number[], codes: Record<string, number>, seconds = 10, threads = 16): FortioResult {
  const h = new Histogram(0, 0.001);
  for (const v of values) h.record(v);
  return {
    RunType: 'HTTP', Labels: '', StartTime: '', RequestedQPS: '1000', RequestedDuration: '10s',
    ActualQPS: values.length / seconds, ActualDuration: seconds * 1e9, NumThreads: threads, Version: 'sidecar-lab',
    DurationHistogram: withPercentiles(h.export(), [50, 75, 90, 99, 99.9]), Exactly: 0, Jitter: false, Uniform: true,
    NoCatchUp: true, RetCodes: codes, URL: 'http://x/', SocketCount: 16, Skipped: 0,
  };
}

describe('perf flags', () => {
  it('takes repeated and comma-separated modes, in the order given, and defaults to every mode', () => {
    expect(parsePerfArgs(['--mode', 'both', '--mode=baseline,both-excluded', '--json']).opts.modes).toEqual(['both', 'baseline', 'both-excluded']);
    const all = parsePerfArgs([]);
    expect(all.opts).toEqual({ modes: [...PERF_MODES], qps: 1000, connections: 16, payload: 1024, durationS: 10 });
    expect(all.json).toBe(false);
    expect(parsePerfArgs(['--qps', '0', '--connections', '4', '--payload', '0', '--duration', '2.5', '--lab', 'performance'])).toMatchObject({
      opts: { qps: 0, connections: 4, payload: 0, durationS: 2.5 },
      lab: 'performance',
    });
  });

  it('names the flag and value it refuses', () => {
    expect(() => parsePerfArgs(['--mode', 'sidecar'])).toThrow('perf: --mode "sidecar" is not one of baseline, server-only, both, both-excluded, relay');
    expect(() => parsePerfArgs(['--qps', 'fast'])).toThrow('perf: --qps takes requests per second (0: as fast as it goes), got "fast"');
    expect(() => parsePerfArgs(['--connections', '0'])).toThrow('perf: --connections takes a whole number from 1 to 1024, got "0"');
    expect(() => parsePerfArgs(['--duration', '0'])).toThrow('--duration takes seconds');
    expect(() => parsePerfArgs(['--mode'])).toThrow('perf: flag --mode needs a value');
    expect(() => parsePerfArgs(['--bogus'])).toThrow(UsageError);
  });
});

describe('connection sweep', () => {
  it('runs one count by default, a comma-separated list in order without repeats, or Istio\'s sweep', () => {
    expect(parsePerfArgs([]).sweep).toEqual([16]);
    expect(parsePerfArgs(['--connections', '4'])).toMatchObject({ sweep: [4], opts: { connections: 4 } });
    expect(parsePerfArgs(['--connections', '8,1,8,2'])).toMatchObject({ sweep: [8, 1, 2], opts: { connections: 8 } });
    expect(parsePerfArgs(['--connections', 'sweep']).sweep).toEqual([1, 2, 4, 8, 16, 32, 64]);
  });

  it('names the entry it refuses', () => {
    expect(() => parsePerfArgs(['--connections', '4,0'])).toThrow('perf: --connections takes a whole number from 1 to 1024, got "0"');
    expect(() => parsePerfArgs(['--connections', '4,,8'])).toThrow('perf: --connections "4,,8" has an empty entry');
    expect(() => parsePerfArgs(['--connections', 'all'])).toThrow(UsageError);
  });

  it('labels rows with their connections and adds p90 against the baseline at the same count', () => {
    const fast = [...Array(900).fill(0.0005), ...Array(100).fill(0.0025)] as number[];
    const slow = [...Array(900).fill(0.0045), ...Array(100).fill(0.0065)] as number[];
    const rows = [
      modeResult('baseline', fortio(fast, { '200': 1000 }, 10, 1), 1000, []),
      modeResult('both', fortio(fast.map((v) => v + 0.001), { '200': 1000 }, 10, 1), 1000, []),
      modeResult('baseline', fortio(slow, { '200': 1000 }, 10, 64), 1000, []),
      modeResult('both', fortio(slow.map((v) => v + 0.002), { '200': 1000 }, 10, 64), 1000, []),
    ];
    expect(rows.map((r) => r.connections)).toEqual([1, 1, 64, 64]);
    expect(addedP90(rows, 'both', 1)).toBe(1);
    expect(addedP90(rows, 'both', 64)).toBe(2);
    const text = summaryTable(rows);
    expect(text).toMatch(/^both c=64\s+/m);
    expect(text).toContain('added p90, both, 1 connections: 1.000 ms');
    expect(text).toContain('added p90, both, 64 connections: 2.000 ms');
  });
});

describe('modes', () => {
  it('send to the excluded port only in both-excluded, and through the relays in relay', () => {
    expect(MODE_PATHS['both-excluded'].url).toBe('http://server.mesh:8079/echo');
    expect(MODE_PATHS.both.url).toBe('http://server.mesh:8080/echo');
    expect(MODE_PATHS['server-only'].client.namespace).toBe('plain');
    expect(MODE_PATHS.relay.proxies.map((p) => p.name)).toEqual(['relay/client/relay', 'relay/server/relay']);
    expect(MODE_PATHS.baseline.proxies).toEqual([]);
  });

  it('run the fortio-like load with uniform spacing, no catch-up and JSON on stdout', () => {
    const opts = parsePerfArgs(['--qps', '500', '--connections', '8', '--duration', '3']).opts;
    expect(loadCommand(MODE_PATHS.both, opts)).toEqual([
      'demo', 'fortio', 'load', '-json', '-', '-uniform', '-nocatchup', '-qps', '500', '-c', '8', '-t', '3s', '-payload-size', '1024', '-labels', 'both', 'http://server.mesh:8080/echo',
    ]);
  });
});

describe('summary', () => {
  // 1000 calls each: 900 fast, 90 slower, 10 slow; fortio's buckets are 1 ms wide here, so p90 is a bucket's end.
  const calls = (fast: number, slower = 0.0025, slow = 0.02): number[] => [...Array(900).fill(fast), ...Array(90).fill(slower), ...Array(10).fill(slow)] as number[];
  const base = modeResult('baseline', fortio(calls(0.0005), { '200': 1000 }), 1000, []);
  const relay = modeResult('relay', fortio(calls(0.0015, 0.0028), { '200': 1000 }), 1000, []);
  const both = modeResult('both', fortio(calls(0.0035, 0.0045), { '200': 990, '503': 6, '-1': 4 }), 1000, [{ name: 'mesh/client/istio-proxy', cpu: 0.05, memoryMB: 40 }]);

  it('reads the percentiles in ms and counts every code but 200 as an error', () => {
    // fortio interpolates inside ]0.5, 1] ms (from min 0.5 at 0.1 % to 1 at 90 %): p50 = 0.5 + (50 - 0.1) / (90 - 0.1) × 0.5.
    expect(base).toMatchObject({ mode: 'baseline', p50: 0.778, p90: 1, p99: 3, calls: 1000, errors: 0, max: 20, qps: 100 });
    expect(both).toMatchObject({ p90: 4, p99: 5, errors: 10 });
  });

  it('prints a row per mode, the CPU per 1000 qps and the added p90 against the bare relay', () => {
    const text = summaryTable([base, both, relay]);
    expect(text).toMatch(/^baseline\s+0\.778\s+1\.000\s+3\.000\s+[\d.]+\s+20\.000\s+100\.0\s+0\s/m);
    expect(text).toContain('mesh/client/istio-proxy 0.050, 0.500, 40.0');
    expect(text).toContain('added p90, both: 3.000 ms (3.00 × the bare relay\'s)');
    expect(text).toContain('added p90, relay: 1.000 ms');
    expect(addedP90([base, both], 'relay')).toBeUndefined();
  });

  it('writes the JSON document scripts read', () => {
    const doc = JSON.parse(perfJson([base, both], { qps: 1000 })) as { modes: Record<string, unknown>[] };
    expect(doc.modes.map((m) => m['mode'])).toEqual(['baseline', 'both']);
    expect(doc.modes[1]).toMatchObject({ p90: 4, p99: 5, qps: 100, errors: 10, proxies: [{ name: 'mesh/client/istio-proxy', cpu: 0.05, memoryMB: 40 }] });
  });
});
