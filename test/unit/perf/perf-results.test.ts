// The window's perf runs: CSV with one row per mode per run and the JSON's columns, kept per lab on disk across restarts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ModeResult, PerfRun } from '../../../src-main/contract/types';
import { loadPerfRuns, MAX_PERF_RUNS, perfCsv, savePerfRuns } from '../../../src-main/lab/perf/perf-results';

const histogram = { Count: 10, Min: 0.0001, Max: 0.002, Sum: 0.005, Avg: 0.0005, StdDev: 0.0001, Data: [{ Start: 0.0001, End: 0.0002, Percent: 100, Count: 10 }] };

function mode(name: ModeResult['mode'], proxies: ModeResult['proxies']): ModeResult {
  return { mode: name, p50: 0.12, p90: 0.76, p99: 6.1, p999: 9.5, max: 12.25, avg: 0.3, qps: 500, requestedQps: 500, calls: 1000, errors: 0, skipped: 2, proxies, histogram };
}

const run = (at: string, captureOn: boolean): PerfRun => ({
  settings: { lab: 'performance', modes: ['baseline', 'both'], qps: 500, connections: 4, payload: 1024, duration: 2 },
  modes: [mode('baseline', []), mode('both', [{ name: 'mesh/client/istio-proxy', cpu: 0.1, memoryMB: 41.5 }, { name: 'mesh/server/istio-proxy', cpu: 0.125, memoryMB: 40 }])],
  captureOn,
  at,
});

describe('perfCsv', () => {
  it('writes one row per mode per run, with the run settings, every figure and each proxy in its own columns', () => {
    const csv = perfCsv([run('2026-12-07T17:00:00.000Z', false), run('2026-12-07T17:05:00.000Z', true)]);
    expect(csv.endsWith('\r\n')).toBe(true);
    const rows = csv.trimEnd().split('\r\n').map((r) => r.split(','));
    expect(rows[0]).toEqual([
      'at', 'captureOn', 'lab', 'settingsQps', 'connections', 'payload', 'duration', 'mode',
      'p50', 'p90', 'p99', 'p999', 'max', 'avg', 'qps', 'requestedQps', 'calls', 'errors', 'skipped',
      'proxy1_name', 'proxy1_cpu', 'proxy1_cpuPer1000', 'proxy1_memoryMB', 'proxy2_name', 'proxy2_cpu', 'proxy2_cpuPer1000', 'proxy2_memoryMB',
    ]);
    expect(rows).toHaveLength(5);
    expect(rows[1]).toEqual(['2026-12-07T17:00:00.000Z', 'false', 'performance', '500', '4', '1024', '2', 'baseline', '0.12', '0.76', '6.1', '9.5', '12.25', '0.3', '500', '500', '1000', '0', '2', '', '', '', '', '', '', '', '']);
    // 0.125 vCPU at 500 req/s is 0.25 vCPU per 1000 req/s.
    expect(rows[4]).toEqual([
      '2026-12-07T17:05:00.000Z', 'true', 'performance', '500', '4', '1024', '2', 'both', '0.12', '0.76', '6.1', '9.5', '12.25', '0.3', '500', '500', '1000', '0', '2',
      'mesh/client/istio-proxy', '0.1', '0.2', '41.5', 'mesh/server/istio-proxy', '0.125', '0.25', '40',
    ]);
  });

  it('gives each row of a sweep the connection count its mode ran at', () => {
    const r = run('2026-12-07T17:00:00.000Z', false);
    r.settings.sweep = [1, 8];
    r.settings.connections = 1;
    r.modes = [1, 8].flatMap((c) => r.modes.map((m) => ({ ...m, connections: c })));
    const rows = perfCsv([r]).trimEnd().split('\r\n').slice(1).map((row) => row.split(','));
    expect(rows.map((row) => [row[7], row[4]])).toEqual([['baseline', '1'], ['both', '1'], ['baseline', '8'], ['both', '8']]);
  });

  it('quotes a field holding a comma or a quote, as RFC 4180 does', () => {
    const r = run('2026-12-07T17:00:00.000Z', false);
    r.settings.lab = 'my,"lab"';
    expect(perfCsv([r]).split('\r\n')[1]).toContain(',"my,""lab""",');
  });

  it('has only the header with no run', () => {
    expect(perfCsv([])).toBe('at,captureOn,lab,settingsQps,connections,payload,duration,mode,p50,p90,p99,p999,max,avg,qps,requestedQps,calls,errors,skipped\r\n');
  });
});

describe('kept runs', () => {
  let dir: string;
  let before: string | undefined;
  beforeEach(() => {
    before = process.env['SIDECAR_LAB_STATE_DIR'];
    dir = mkdtempSync(join(tmpdir(), 'perf-runs-'));
    process.env['SIDECAR_LAB_STATE_DIR'] = dir;
  });
  afterEach(() => {
    if (before === undefined) delete process.env['SIDECAR_LAB_STATE_DIR'];
    else process.env['SIDECAR_LAB_STATE_DIR'] = before;
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads back what was saved, per lab, keeping the newest runs only', () => {
    expect(loadPerfRuns('performance')).toEqual([]);
    const runs = Array.from({ length: MAX_PERF_RUNS + 3 }, (_, i) => run(new Date(Date.UTC(2026, 11, 7, 17, i)).toISOString(), false));
    savePerfRuns('performance', runs);
    const back = loadPerfRuns('performance');
    expect(back).toHaveLength(MAX_PERF_RUNS);
    expect(back[0]).toEqual(runs[3]);
    expect(back.at(-1)).toEqual(runs.at(-1));
    expect(loadPerfRuns('other')).toEqual([]);
    expect(JSON.parse(readFileSync(join(dir, 'perf', 'performance.json'), 'utf8'))).toHaveProperty('runs');
  });

  it('starts empty from a damaged file instead of failing', () => {
    savePerfRuns('performance', [run('2026-12-07T17:00:00.000Z', true)]);
    writeFileSync(join(dir, 'perf', 'performance.json'), '{"runs": [');
    expect(loadPerfRuns('performance')).toEqual([]);
  });
});
