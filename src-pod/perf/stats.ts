// Latency statistics kept as fortio keeps them: a counter, a histogram over fortio's fixed bucket edges, interpolated percentiles.
import { formatG } from './go-format';

/**
 * fortio's bucket edges (stats.go), in units of the histogram's divider (its resolution). A bucket
 * is ]previous edge, edge]; one more bucket before the first (≤ 0) and one after the last (> 100000).
 */
export const BUCKET_EDGES: readonly number[] = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 16, 18, 20, 25, 30, 35, 40, 45, 50, 60, 70, 80, 90, 100, 120, 140,
  160, 180, 200, 250, 300, 350, 400, 450, 500, 600, 700, 800, 900, 1000, 2000, 3000, 4000, 5000, 7500, 10000, 20000,
  30000, 40000, 50000, 75000, 100000,
];
const BUCKETS = BUCKET_EDGES.length + 1;
const LAST_EDGE = BUCKET_EDGES[BUCKET_EDGES.length - 1];

/** count, min, max, sum and the sum of squares of the values recorded. */
export class Counter {
  count = 0;
  min = 0;
  max = 0;
  sum = 0;
  sumOfSquares = 0;

  record(v: number, n = 1): void {
    if (this.count === 0) {
      this.min = v;
      this.max = v;
    } else if (v < this.min) this.min = v;
    else if (v > this.max) this.max = v;
    this.count += n;
    this.sum += v * n;
    this.sumOfSquares += v * v * n;
  }

  avg(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  /** Population standard deviation; 0 where rounding would make the variance negative. */
  stdDev(): number {
    if (this.count === 0) return 0;
    const variance = (this.sumOfSquares - (this.sum * this.sum) / this.count) / this.count;
    return variance < 0 ? 0 : Math.sqrt(variance);
  }

  /** Adds `src`'s values to this counter. */
  merge(src: Counter): void {
    if (src.count === 0) return;
    if (this.count === 0) {
      this.min = src.min;
      this.max = src.max;
    } else {
      this.min = Math.min(this.min, src.min);
      this.max = Math.max(this.max, src.max);
    }
    this.count += src.count;
    this.sum += src.sum;
    this.sumOfSquares += src.sumOfSquares;
  }
}

/** One exported bucket: [start, end] (start exclusive but for the first), cumulative percent, count. */
export interface Bucket {
  Start: number;
  End: number;
  Percent: number;
  Count: number;
}

export interface Percentile {
  Percentile: number;
  Value: number;
}

/** fortio's HistogramData, with its JSON field names. */
export interface HistogramData {
  Count: number;
  Min: number;
  Max: number;
  Sum: number;
  Avg: number;
  StdDev: number;
  Data: Bucket[];
  Percentiles?: Percentile[];
}

/** The bucket index of a value already scaled to divider units (`]edge-1, edge]`, so an exact edge falls below it). */
export function bucketIndex(scaled: number): number {
  if (scaled <= BUCKET_EDGES[0]) return 0;
  if (scaled > LAST_EDGE) return BUCKETS - 1;
  let whole = Math.floor(scaled);
  if (scaled - whole < 1e-12) whole--;
  // The first edge above `whole`.
  let lo = 0;
  let hi = BUCKET_EDGES.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (BUCKET_EDGES[mid] > whole) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** A counter plus counts per bucket; values are bucketed as (v - offset) / divider. */
export class Histogram extends Counter {
  readonly counts = new Array<number>(BUCKETS).fill(0);

  constructor(
    readonly offset: number,
    readonly divider: number,
  ) {
    super();
    if (!(divider > 0)) throw new Error(`histogram divider must be > 0, got ${divider}`);
  }

  override record(v: number, n = 1): void {
    super.record(v, n);
    this.counts[bucketIndex((v - this.offset) / this.divider)] += n;
  }

  /** Adds another histogram of the same offset and divider. */
  mergeHistogram(src: Histogram): void {
    if (src.offset !== this.offset || src.divider !== this.divider) throw new Error('histograms of different scales');
    this.merge(src);
    for (let i = 0; i < BUCKETS; i++) this.counts[i] += src.counts[i];
  }

  /** The non-empty buckets from min to max, with cumulative percentages, as fortio exports them. */
  export(): HistogramData {
    const out: HistogramData = {
      Count: this.count,
      Min: this.min,
      Max: this.max,
      Sum: this.sum,
      Avg: this.avg(),
      StdDev: this.stdDev(),
      Data: [],
    };
    let last = -1;
    for (let i = BUCKETS - 1; i >= 0; i--) {
      if (this.counts[i] > 0) {
        last = i;
        break;
      }
    }
    if (last < 0) return out;
    const at = (edge: number): number => this.divider * edge + this.offset;
    let prev = BUCKET_EDGES[0];
    let total = 0;
    for (let i = 0; i <= last; i++) {
      const count = this.counts[i];
      if (count === 0) {
        if (i < BUCKET_EDGES.length) prev = BUCKET_EDGES[i];
        continue;
      }
      total += count;
      const bucket: Bucket = { Start: out.Data.length === 0 ? this.min : at(prev), End: 0, Percent: (100 * total) / this.count, Count: count };
      if (i < BUCKET_EDGES.length) {
        bucket.End = at(BUCKET_EDGES[i]);
        prev = BUCKET_EDGES[i];
      } else {
        bucket.Start = at(prev);
        bucket.End = this.max;
      }
      out.Data.push(bucket);
    }
    out.Data[out.Data.length - 1].End = this.max;
    return out;
  }
}

/**
 * The value below which `percentile` % of the data lies: min up to 1/count, max from 100, else
 * linear inside the bucket that crosses it, from the previous bucket's percentage to its own.
 */
export function calcPercentile(h: HistogramData, percentile: number): number {
  if (h.Data.length === 0) return 0;
  if (percentile >= 100) return h.Max;
  let prev = 100 / h.Count;
  if (percentile <= prev) return h.Min;
  for (const b of h.Data) {
    if (percentile <= b.Percent) return b.Start + ((percentile - prev) / (b.Percent - prev)) * (b.End - b.Start);
    prev = b.Percent;
  }
  return h.Max;
}

/** The same data with `Percentiles` filled in for each asked percentile. */
export function withPercentiles(h: HistogramData, percentiles: readonly number[]): HistogramData {
  if (h.Count === 0) return h;
  return { ...h, Percentiles: percentiles.map((p) => ({ Percentile: p, Value: calcPercentile(h, p) })) };
}

/** fortio's one-line summary of a counter. */
export function formatCounter(title: string, c: { count: number; min: number; max: number; sum: number; avg: number; stdDev: number }): string {
  return `${title} : count ${c.count} avg ${formatG(c.avg, 8)} +/- ${formatG(c.stdDev, 4)} min ${formatG(c.min)} max ${formatG(c.max)} sum ${formatG(c.sum, 9)}`;
}

/** fortio's text for a histogram: the counter, one line per bucket, one per target percentile. */
export function formatHistogram(title: string, h: HistogramData): string {
  if (h.Data.length === 0) return `${title} : no data\n`;
  const lines = [
    formatCounter(title, { count: h.Count, min: h.Min, max: h.Max, sum: h.Sum, avg: h.Avg, stdDev: h.StdDev }),
    '# range, mid point, percentile, count',
  ];
  h.Data.forEach((b, i) => {
    // The first interval includes its start (the minimum); the others start just above it.
    const sep = i === 0 ? '>=' : '>';
    lines.push(`${sep} ${formatG(b.Start, 6)} <= ${formatG(b.End, 6)} , ${formatG((b.Start + b.End) / 2, 6)} , ${b.Percent.toFixed(2)}, ${b.Count}`);
  });
  for (const p of h.Percentiles ?? []) lines.push(`# target ${formatG(p.Percentile)}% ${formatG(p.Value, 6)}`);
  return `${lines.join('\n')}\n`;
}

/** fortio's `-p` flag: a comma-separated list of percentiles, each > 0 and < 100. */
export function parsePercentiles(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(',')) {
    const t = part.trim();
    if (t === '') continue;
    const p = Number(t);
    if (!Number.isFinite(p)) throw new Error(`percentile ${JSON.stringify(t)} is not a number`);
    if (p <= 0 || p >= 100) throw new Error(`percentile ${t} must be > 0 and < 100`);
    out.push(p);
  }
  if (out.length === 0) throw new Error("percentile list can't be empty");
  return out;
}
