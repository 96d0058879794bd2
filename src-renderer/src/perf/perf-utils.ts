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
  return `${run.at.slice(0, 10)} ${time} · ${s.modes.length} mode${s.modes.length === 1 ? '' : 's'}, ${s.qps > 0 ? `${s.qps} qps` : 'max qps'}, ${isSweep(run) ? `sweep ${s.sweep?.join(',')} conn` : `${s.connections} conn`}, ${s.payload} B, ${s.duration} s${run.captureOn ? ', capture on' : ''}`;
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

/** Istio's perf/benchmark connection counts, the sweep's checkboxes (`sidecar-lab perf --connections sweep`). */
export const CONNECTION_SWEEP = [1, 2, 4, 8, 16, 32, 64] as const;

/** Whether the run measured its modes at more than one connection count. */
export function isSweep(run: PerfRun): boolean {
  return (run.settings.sweep?.length ?? 0) > 1;
}

/** A result's connection count: its own, else (runs kept before it was recorded) the run's. */
export function connectionsOf(run: PerfRun, m: ModeResult): number {
  return m.connections ?? run.settings.connections;
}

/** The counts a run measured, ascending. */
export function sweepCounts(run: PerfRun): number[] {
  return [...new Set(run.modes.map((m) => connectionsOf(run, m)))].sort((a, b) => a - b);
}

/** The count the per-count charts show for a sweep: the one asked if the run has it, else the first at or above 16 (the CLI's default), else the largest. */
export function pickCount(run: PerfRun, asked: number | undefined): number {
  const counts = sweepCounts(run);
  if (asked !== undefined && counts.includes(asked)) return asked;
  return counts.find((c) => c >= 16) ?? counts.at(-1) ?? run.settings.connections;
}

/** A run's results at one connection count (a single-count run: all of them), as the per-run charts take them. */
export function atConnections(run: PerfRun, connections: number): PerfRun {
  return isSweep(run) ? { ...run, modes: run.modes.filter((m) => connectionsOf(run, m) === connections) } : run;
}

/** The percentiles the sweep chart draws against connections. */
export const SWEEP_PERCENTILES = PERCENTILES.slice(0, 3);

export interface SweepSeries {
  label: string;
  mode: PerfMode;
  percentile: string;
  dashed: boolean;
  /** One value per count of `counts` (null where the run has none). */
  values: (number | null)[];
}

/** Latency against connections: per sweep run, per mode, p50/p90/p99 at each count of `counts`. */
export function sweepSeries(runs: readonly { run: PerfRun; tag: string }[]): { counts: number[]; series: SweepSeries[] } {
  const sweeps = runs.filter(({ run }) => isSweep(run));
  const counts = [...new Set(sweeps.flatMap(({ run }) => sweepCounts(run)))].sort((a, b) => a - b);
  const series = sweeps.flatMap(({ run, tag }, i) =>
    [...new Set(run.settings.modes)].flatMap((mode) =>
      SWEEP_PERCENTILES.map((p) => ({
        label: `${mode} ${p.label}${tag ? ` (${tag})` : ''}`,
        mode,
        percentile: p.label,
        dashed: i > 0,
        values: counts.map((c) => run.modes.find((m) => m.mode === mode && connectionsOf(run, m) === c)?.[p.key] ?? null),
      })),
    ),
  );
  return { counts, series };
}
