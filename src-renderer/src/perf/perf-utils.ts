// Pure helpers of the Performance view: chart data from perf runs, CPU per 1000 req/s, and Istio's published figure.
import type { ModeResult, PerfMode, PerfRun } from '../../../src-main/contract/types';

export const PERF_MODE_LIST: { mode: PerfMode; label: string }[] = [
  { mode: 'baseline', label: 'baseline (no sidecar)' },
  { mode: 'server-only', label: "server-only (the server's sidecar)" },
  { mode: 'both', label: 'both sidecars' },
  { mode: 'both-excluded', label: 'both sidecars, port excluded' },
  { mode: 'relay', label: 'bare TCP relay (uid 1337)' },
];

/**
 * Istio's published cost of one sidecar (Envoy with 2 worker threads) at 1000 HTTP req/s, 1 KB
 * payload: istio.io, "Performance and Scalability", figures for Istio 1.24.
 */
export const ISTIO_REFERENCE = { release: '1.24', vcpuPer1000: 0.2, memoryMB: 60 } as const;

/** The percentiles the chart shows, in order, with the ModeResult field each comes from. */
export const PERCENTILES: { label: string; key: 'p50' | 'p90' | 'p99' | 'p999' }[] = [
  { label: 'p50', key: 'p50' },
  { label: 'p90', key: 'p90' },
  { label: 'p99', key: 'p99' },
  { label: 'p99.9', key: 'p999' },
];

/** A line colour per mode, the same in every chart; the compared run draws dashed in the same colour. */
export const MODE_COLORS: Record<PerfMode, string> = {
  baseline: '#64748b',
  'server-only': '#d97706',
  both: '#2563eb',
  'both-excluded': '#16a34a',
  relay: '#9333ea',
};

export function cpuPer1000(cpu: number, qps: number): number | undefined {
  return qps > 0 ? (cpu * 1000) / qps : undefined;
}

/** "17:12:05, 2 modes, 200 qps, 4 conn, 2 s" — how a run is named in pickers and legends. */
export function runLabel(run: PerfRun): string {
  const s = run.settings;
  const time = new Date(run.at).toISOString().slice(11, 19);
  return `${run.at.slice(0, 10)} ${time} · ${s.modes.length} mode${s.modes.length === 1 ? '' : 's'}, ${s.qps > 0 ? `${s.qps} qps` : 'max qps'}, ${s.connections} conn, ${s.payload} B, ${s.duration} s${run.captureOn ? ', capture on' : ''}`;
}

export interface ChartSeries {
  label: string;
  mode: PerfMode;
  dashed: boolean;
  values: number[];
}

/** One series per mode per run: its latency at p50, p90, p99 and p99.9 (ms). */
export function percentileSeries(runs: readonly { run: PerfRun; tag: string }[]): ChartSeries[] {
  return runs.flatMap(({ run, tag }, i) =>
    run.modes.map((m) => ({
      label: tag ? `${m.mode} (${tag})` : m.mode,
      mode: m.mode,
      dashed: i > 0,
      values: PERCENTILES.map((p) => m[p.key]),
    })),
  );
}

/** A mode's histogram as bars: each of fortio's buckets at its middle (ms), with its count. */
export function histogramBars(m: ModeResult): { x: number[]; counts: number[] } {
  const buckets = m.histogram.Data ?? [];
  return {
    x: buckets.map((b) => Math.round(((b.Start + b.End) / 2) * 1e6) / 1e3),
    counts: buckets.map((b) => b.Count),
  };
}

/** A fixed number of digits that still shows small figures (0.004 ms, 0.012 vCPU). */
export function fmt(n: number | undefined, digits = 3): string {
  return n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(digits);
}
