// `demo load`: an HTTP load generator for the lab's performance figures, at a fixed rate or flat out.
import { LoadPool, postRequest } from './load-client';
import { FlagError, lastValue, parseFlags, type FlagSpec } from './flags';

export interface LoadOptions {
  url: string;
  /** Requests per second, scheduled open-loop; 0 sends back to back on every connection (throughput). */
  rate: number;
  connections: number;
  durationS: number;
  /** Bytes of request body (POSTed); the demo httpbin's /anything echoes it back. */
  size: number;
}

export interface LoadResult {
  url: string;
  rate: number;
  connections: number;
  sent: number;
  ok: number;
  errors: number;
  durationS: number;
  achievedRps: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
}

const SPEC: FlagSpec = { rate: 'value', connections: 'value', duration: 'value', size: 'value', help: 'switch' };

export const LOAD_USAGE =
  'demo load URL [--rate N (req/s, 0 = as fast as possible)] [--connections N] [--duration S] [--size BYTES]\n';

export function parseLoadArgs(argv: string[]): LoadOptions | 'help' {
  const url = argv.find((a) => !a.startsWith('--') && /^https?:\/\//.test(a));
  const flags = parseFlags(argv.filter((a) => a !== url), SPEC);
  if (flags.has('help')) return 'help';
  if (!url) throw new FlagError('load: URL is missing (http://…)');
  const num = (name: string, fallback: string, min: number): number => {
    const text = lastValue(flags, name, fallback);
    const n = Number(text);
    if (!Number.isFinite(n) || n < min) throw new FlagError(`load: --${name} must be a number ≥ ${min}, got ${text}`);
    return n;
  };
  return {
    url,
    rate: num('rate', '1000', 0),
    connections: num('connections', '16', 1),
    durationS: num('duration', '10', 0.1),
    size: num('size', '1024', 0),
  };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const target = new URL(opts.url);
  if (target.protocol !== 'http:') throw new FlagError(`load: only http:// URLs, got ${opts.url}`);
  const pool = new LoadPool(target.hostname, Number(target.port || 80), opts.connections, postRequest(target, opts.size));
  const latencies: number[] = [];
  let sent = 0;
  let ok = 0;
  let errors = 0;
  const one = (scheduled: number): Promise<void> =>
    new Promise((resolve) => {
      sent++;
      pool.send((outcome) => {
        // Measured from when the request was due, so a stalled queue shows up (no coordinated omission).
        if (outcome.error === undefined) latencies.push(performance.now() - scheduled);
        if (outcome.error === undefined && outcome.status < 400) ok++;
        else errors++;
        resolve();
      });
    });

  const started = performance.now();
  const end = started + opts.durationS * 1000;
  const inflight = new Set<Promise<void>>();
  if (opts.rate > 0) {
    const interval = 1000 / opts.rate;
    for (let i = 0; ; i++) {
      const due = started + i * interval;
      if (due >= end) break;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const p: Promise<void> = one(due).then(() => {
        inflight.delete(p);
      });
      inflight.add(p);
    }
  } else {
    const worker = async (): Promise<void> => {
      while (performance.now() < end) await one(performance.now());
    };
    await Promise.all(Array.from({ length: opts.connections }, worker));
  }
  await Promise.all(inflight);
  const elapsed = (performance.now() - started) / 1000;
  pool.close();
  const sorted = Float64Array.from(latencies).sort();
  const round = (n: number): number => Math.round(n * 1000) / 1000;
  return {
    url: opts.url,
    rate: opts.rate,
    connections: opts.connections,
    sent,
    ok,
    errors,
    durationS: round(elapsed),
    achievedRps: Math.round(ok / elapsed),
    latencyMs: {
      p50: round(percentile(sorted, 50)),
      p90: round(percentile(sorted, 90)),
      p99: round(percentile(sorted, 99)),
      max: round(sorted[sorted.length - 1] ?? Number.NaN),
    },
  };
}
