// A perf run's figures: from fortio's result JSON to the per-mode summary `sidecar-lab perf` prints and its --json document.
import type { FortioResult } from '../../../src-pod/perf/load';
import type { HistogramData } from '../../../src-pod/perf/stats';
import type { PerfMode } from './modes';

export interface ProxyUsage {
  name: string;
  /** vCPU averaged over the load's duration. */
  cpu: number;
  memoryMB: number;
}

export interface ModeResult {
  mode: PerfMode;
  /** Milliseconds. */
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  avg: number;
  /** Requests per second achieved. */
  qps: number;
  requestedQps: number;
  /** Connections the load generator used (fortio's NumThreads; it lowers them when the run is too short for two calls each); absent in runs kept before it was recorded. */
  connections?: number;
  calls: number;
  errors: number;
  skipped: number;
  proxies: ProxyUsage[];
  histogram: HistogramData;
}

const ms = (seconds: number): number => Math.round(seconds * 1e6) / 1e3;

function percentile(h: HistogramData, p: number): number {
  const found = h.Percentiles?.find((x) => x.Percentile === p);
  if (!found) throw new Error(`the load generator's result has no p${p}`);
  return ms(found.Value);
}

/** One mode's figures from fortio's result (seconds become ms; every code but 200 is an error, -1 included). */
export function modeResult(mode: PerfMode, r: FortioResult, requestedQps: number, proxies: ProxyUsage[]): ModeResult {
  const h = r.DurationHistogram;
  const errors = Object.entries(r.RetCodes).reduce((n, [code, count]) => (code === '200' ? n : n + count), 0);
  return {
    mode,
    p50: percentile(h, 50),
    p90: percentile(h, 90),
    p99: percentile(h, 99),
    p999: percentile(h, 99.9),
    max: ms(h.Max),
    avg: ms(h.Avg),
    qps: Math.round(r.ActualQPS * 10) / 10,
    requestedQps,
    connections: r.NumThreads,
    calls: h.Count,
    errors,
    skipped: r.Skipped ?? 0,
    proxies,
    histogram: h,
  };
}

/** Milliseconds added at p90 over the baseline at the same connections (Istio's "added latency"), when both were measured. */
export function addedP90(results: readonly ModeResult[], mode: PerfMode, connections?: number): number | undefined {
  const at = results.filter((r) => connections === undefined || r.connections === connections);
  const base = at.find((r) => r.mode === 'baseline');
  const m = at.find((r) => r.mode === mode);
  return base && m ? Math.round((m.p90 - base.p90) * 1000) / 1000 : undefined;
}

const pad = (s: string, n: number): string => s.padStart(n);

/** The table printed after the runs: one row per mode (and connection count, in a sweep), each proxy's CPU per 1000 req/s and memory, then the added p90s. */
export function summaryTable(results: readonly ModeResult[]): string {
  const counts = [...new Set(results.map((r) => r.connections))];
  const sweep = counts.length > 1;
  const label = (r: ModeResult): string => (sweep ? `${r.mode} c=${r.connections}` : r.mode);
  const width = Math.max(14, ...results.map((r) => label(r).length + 2));
  const lines = [`${'mode'.padEnd(width)}${['p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'qps', 'errors'].map((h) => pad(h, 10)).join('')}  proxies (vCPU, vCPU per 1000 qps, MB)`];
  for (const r of results) {
    const proxies = r.proxies.map((p) => `${p.name} ${p.cpu.toFixed(3)}, ${r.qps > 0 ? ((p.cpu * 1000) / r.qps).toFixed(3) : '-'}, ${p.memoryMB.toFixed(1)}`).join('; ');
    const cells = [r.p50, r.p90, r.p99, r.p999, r.max].map((v) => pad(v.toFixed(3), 10)).join('') + pad(r.qps.toFixed(1), 10) + pad(String(r.errors), 10);
    lines.push(`${label(r).padEnd(width)}${cells}  ${proxies || '-'}`);
  }
  for (const c of counts) {
    const relay = addedP90(results, 'relay', c);
    for (const mode of ['server-only', 'both', 'both-excluded', 'relay'] as const) {
      const added = addedP90(results, mode, c);
      if (added === undefined) continue;
      const vsRelay = mode === 'both' && relay !== undefined && relay > 0 ? ` (${(added / relay).toFixed(2)} × the bare relay's)` : '';
      lines.push(`added p90, ${mode}${sweep ? `, ${c} connections` : ''}: ${added.toFixed(3)} ms${vsRelay}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The --json document: `{"modes": [{mode, p50, p90, p99 (ms), qps (achieved), errors, proxies: [{name, cpu, memoryMB}]}, …]}` and the rest of each mode's figures. */
export function perfJson(results: readonly ModeResult[], settings: Record<string, unknown>): string {
  return `${JSON.stringify({ settings, modes: results }, null, 2)}\n`;
}
