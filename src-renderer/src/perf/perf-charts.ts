// uPlot options and data for the Performance view's charts: latency percentiles, a histogram per mode, CPU per 1000 req/s, latency against connections.
import uPlot from 'uplot';
import type { ModeResult, PerfRun } from '../../../src-main/contract/types';
import { cpuPer1000, histogramBars, ISTIO_REFERENCE, MODE_COLORS, PERCENTILES, percentileSeries, sweepSeries } from './perf-utils';

export interface Chart {
  options: Omit<uPlot.Options, 'width' | 'height'>;
  data: uPlot.AlignedData;
}

/** The window's colours, so the charts follow its theme (CSS variables of App.svelte). */
function colors(): { text: string; grid: string } {
  const css = typeof getComputedStyle === 'function' ? getComputedStyle(document.documentElement) : undefined;
  return {
    text: css?.getPropertyValue('--text').trim() || '#1e293b',
    grid: css?.getPropertyValue('--border').trim() || '#e2e8f0',
  };
}

function axis(label: string, extra: Partial<uPlot.Axis> = {}): uPlot.Axis {
  const c = colors();
  return { label, stroke: c.text, grid: { stroke: c.grid, width: 1 }, ticks: { stroke: c.grid, width: 1 }, ...extra };
}

const ms = (_u: uPlot, v: number | null): string => (v == null ? '–' : `${v} ms`);
const DASH = [6, 4];

/** p50, p90, p99, p99.9 on a log scale (tails differ by orders of magnitude), one series per mode per run. */
export function percentileChart(runs: readonly { run: PerfRun; tag: string }[]): Chart {
  const series = percentileSeries(runs);
  return {
    options: {
      scales: { x: { time: false, range: [-0.25, PERCENTILES.length - 0.75] }, y: { distr: 3 } },
      axes: [
        axis('percentile', { splits: () => PERCENTILES.map((_, i) => i), values: (_u, splits) => splits.map((v) => PERCENTILES[v]?.label ?? '') }),
        axis('latency (ms, log scale)', { size: 60 }),
      ],
      series: [
        { label: 'percentile', value: (_u, v) => (v == null ? '–' : (PERCENTILES[v]?.label ?? '')) },
        ...series.map((s) => ({ label: s.label, stroke: MODE_COLORS[s.mode], width: 2, ...(s.dashed ? { dash: DASH } : {}), points: { show: true, size: 7 }, value: ms })),
      ],
    },
    data: [PERCENTILES.map((_, i) => i), ...series.map((s) => s.values)],
  };
}

/** A mode's latency histogram from fortio's buckets (bars), with the compared run's same mode as a dashed line. */
export function histogramChart(mode: ModeResult, other?: ModeResult): Chart {
  const own = histogramBars(mode);
  const tables: uPlot.AlignedData[] = [[own.x, own.counts]];
  if (other) {
    const o = histogramBars(other);
    tables.push([o.x, o.counts]);
  }
  const color = MODE_COLORS[mode.mode];
  const bars = uPlot.paths.bars?.({ size: [0.8, 24] });
  return {
    options: {
      scales: { x: { time: false, distr: 3 }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
      axes: [axis('latency (ms, log scale, bucket middles)'), axis('requests', { size: 55 })],
      series: [
        { label: 'ms', value: ms },
        { label: other ? `${mode.mode} (A)` : mode.mode, stroke: color, fill: `${color}99`, width: 1, ...(bars ? { paths: bars } : {}), points: { show: false } },
        ...(other ? [{ label: `${other.mode} (B)`, stroke: color, dash: DASH, width: 1.5, spanGaps: true, points: { show: true, size: 4 } }] : []),
      ],
      legend: { show: true },
    },
    data: tables.length > 1 ? uPlot.join(tables) : tables[0],
  };
}

/** Each proxy's vCPU per 1000 req/s achieved, per run, against Istio's published figure as a line. */
export function cpuChart(runs: readonly { run: PerfRun; tag: string }[]): Chart | undefined {
  const names = [...new Set(runs.flatMap(({ run }) => run.modes.flatMap((m) => m.proxies.map((p) => `${m.mode} · ${p.name}`))))];
  if (names.length === 0) return undefined;
  const perRun = runs.map(({ run }) =>
    names.map((n) => {
      const [mode, name] = n.split(' · ');
      const m = run.modes.find((x) => x.mode === mode);
      const p = m?.proxies.find((x) => x.name === name);
      return m && p ? (cpuPer1000(p.cpu, m.qps) ?? null) : null;
    }),
  );
  const c = colors();
  const palette = ['#2563eb', '#94a3b8'];
  // An edge point each side, where only the reference line has a value, so it spans the chart.
  const xs = [-0.6, ...names.map((_, i) => i), names.length - 0.4];
  return {
    options: {
      scales: { x: { time: false, range: [xs[0], xs[xs.length - 1]] }, y: { range: (_u, _min, max) => [0, Math.max(max, ISTIO_REFERENCE.vcpuPer1000) * 1.2] } },
      axes: [
        axis('proxy', { splits: () => names.map((_, i) => i), values: (_u, splits) => splits.map((v) => names[v]?.replace(/\/istio-proxy$/, '') ?? ''), size: 40 }),
        axis('vCPU per 1000 req/s', { size: 60 }),
      ],
      series: [
        { label: 'proxy', value: (_u, v) => (v == null ? '–' : (names[v] ?? '')) },
        ...runs.map(({ tag }, i) => ({
          label: tag ? `vCPU per 1000 req/s (${tag})` : 'vCPU per 1000 req/s',
          stroke: palette[i] ?? c.text,
          fill: `${palette[i] ?? c.text}aa`,
          paths: uPlot.paths.bars?.({ size: [0.35, 60], align: (i === 0 ? -1 : 1) as -1 | 1 }),
          points: { show: false },
          value: (_u: uPlot, v: number | null) => (v == null ? '–' : v.toFixed(3)),
        })),
        { label: `Istio ${ISTIO_REFERENCE.release}: ${ISTIO_REFERENCE.vcpuPer1000} vCPU per 1000 req/s per sidecar`, stroke: '#dc2626', dash: DASH, width: 2, points: { show: false } },
      ],
    },
    data: [xs, ...perRun.map((values) => [null, ...values, null]), xs.map(() => ISTIO_REFERENCE.vcpuPer1000)],
  };
}

/** How each percentile draws in the sweep chart: the tail thicker, the median thin; the compared run dashed. */
const SWEEP_STYLE: Record<string, { width: number; dash?: number[] }> = {
  p50: { width: 1 },
  p90: { width: 2 },
  p99: { width: 3, dash: [2, 3] },
};

/** p50/p90/p99 against connections (both axes log scale, as Istio's benchmark plots them), per mode, for the sweep runs among `runs`. */
export function sweepChart(runs: readonly { run: PerfRun; tag: string }[]): Chart | undefined {
  const { counts, series } = sweepSeries(runs);
  if (counts.length < 2) return undefined;
  return {
    options: {
      scales: { x: { time: false, distr: 3, log: 2 }, y: { distr: 3 } },
      axes: [
        // Every count measured gets its tick (uPlot's log axis would otherwise keep only some).
        axis('connections (log scale)', { splits: () => counts, filter: (_u, splits) => splits, values: (_u, splits) => splits.map((v) => (v == null ? '' : String(v))) }),
        axis('latency (ms, log scale)', { size: 60 }),
      ],
      series: [
        { label: 'connections', value: (_u, v) => (v == null ? '–' : String(v)) },
        ...series.map((s) => {
          const style = SWEEP_STYLE[s.percentile] ?? { width: 1 };
          const dash = s.dashed ? DASH : style.dash;
          return { label: s.label, stroke: MODE_COLORS[s.mode], width: style.width, ...(dash ? { dash } : {}), spanGaps: true, points: { show: true, size: 5 }, value: ms };
        }),
      ],
    },
    data: [counts, ...series.map((s) => s.values)],
  };
}
