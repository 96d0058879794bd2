// Runs a call at a target rate over N connections, as fortio's periodic runner does: one loop per connection, uniform offsets, optional no catch-up.
import { Histogram } from './stats';

export interface PeriodicOptions {
  /** Target calls per second over all connections; 0 (or less): each connection calls back to back. */
  qps: number;
  connections: number;
  durationS: number;
  /** fortio `-uniform`: connection t starts t/qps after the first, so calls are evenly spaced overall. */
  uniform: boolean;
  /** fortio `-nocatchup`: a slot already past when a call ends is skipped, never sent late and back to back. */
  noCatchUp: boolean;
  /** fortio `-jitter`: ±10 % on every sleep. */
  jitter: boolean;
  /** Histogram resolution in seconds (fortio `-r`). */
  resolution: number;
  signal?: AbortSignal;
}

/** One call on connection `thread`; resolves to an HTTP status, or -1 for a call that got none. */
export type Call = (thread: number) => Promise<number>;

export interface PeriodicResult {
  /** "max" or the rate asked for. */
  requestedQps: string;
  requestedDurationS: number;
  /** Connections actually used (fortio lowers it when there are fewer than 2 calls per connection). */
  connections: number;
  /** Calls each connection was given (0 at max speed). */
  callsPerConnection: number;
  startTime: Date;
  actualDurationS: number;
  actualQps: number;
  /** Call durations in seconds. */
  durations: Histogram;
  /** Sleeps between calls in seconds; negative when behind (fortio's bucket for "behind" is below 0). */
  sleeps: Histogram;
  codes: Map<number, number>;
  /** Slots skipped with noCatchUp because the previous call ended after them. */
  skipped: number;
  warnings: string[];
}

/** The rate plan fortio makes: total calls from rate × duration, at least 2 per connection, split evenly. */
export function planCalls(qps: number, connections: number, durationS: number): { connections: number; callsPerConnection: number; warnings: string[] } {
  const warnings: string[] = [];
  if (qps <= 0) return { connections, callsPerConnection: 0, warnings };
  let total = Math.floor(qps * durationS);
  let threads = connections;
  if (total < 2) {
    warnings.push('Increasing the number of calls to the minimum of 2 with 1 thread. total duration will increase');
    total = 2;
    threads = 1;
  }
  if (2 * threads > total) {
    const lowered = Math.floor(total / 2);
    warnings.push(`Lowering number of threads - total call ${total} -> lowering from ${threads} to ${lowered} threads`);
    threads = lowered;
  }
  return { connections: threads, callsPerConnection: Math.floor(total / threads), warnings };
}

/**
 * When call `i` of a connection is due, in seconds from the start: fortio spreads `n` calls so that
 * the last one lands at the end of the duration, `(i + i/(n-1)) / perConnectionQps`, plus the
 * connection's uniform offset.
 */
export function dueAt(i: number, n: number, perConnectionQps: number, offsetS: number): number {
  const spread = n > 1 ? i / (n - 1) : 0;
  return offsetS + (i + spread) / perConnectionQps;
}

/** Where a connection goes after a call: the next slot to send, and how many were skipped to get there. */
export function nextSlot(
  i: number,
  n: number,
  elapsedS: number,
  perConnectionQps: number,
  offsetS: number,
  noCatchUp: boolean,
): { i: number; sleepS: number; skipped: number } {
  let skipped = 0;
  for (;;) {
    const sleepS = dueAt(i, n, perConnectionQps, offsetS) - elapsedS;
    if (!noCatchUp || sleepS >= 0 || i >= n) return { i, sleepS, skipped };
    skipped++;
    i++;
  }
}

/** ±10 % of a positive sleep, uniformly, as fortio's getJitter. */
function jitterOf(sleepS: number): number {
  return sleepS <= 0 ? 0 : (Math.random() * 2 - 1) * (sleepS / 10);
}

/**
 * Node's timers count whole milliseconds: a shorter wait yields to the event loop once instead
 * (the call goes out up to 1 ms early rather than late).
 */
function wait(seconds: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const ms = seconds * 1000;
    if (ms < 1) {
      setImmediate(resolve);
      return;
    }
    const timer = setTimeout(done, Math.floor(ms));
    function done(): void {
      signal?.removeEventListener('abort', done);
      clearTimeout(timer);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

const now = (): number => performance.now() / 1000;

/** Seconds rounded to whole nanoseconds, as Go's time.Duration keeps them (fortio's figures then print alike). */
const ns = (seconds: number): number => Math.round(seconds * 1e9) / 1e9;

export async function runPeriodic(opts: PeriodicOptions, call: Call): Promise<PeriodicResult> {
  const plan = planCalls(opts.qps, opts.connections, opts.durationS);
  const useQps = opts.qps > 0;
  const perConnectionQps = useQps ? opts.qps / plan.connections : 0;
  const durations = new Histogram(0, opts.resolution);
  // fortio's sleep histogram: offset -1 ms, so every sleep "behind" lands in the first bucket.
  const sleeps = new Histogram(-0.001, 0.001);
  const codes = new Map<number, number>();
  const warnings = [...plan.warnings];
  let skipped = 0;
  const startTime = new Date();
  const start = now();
  const end = start + opts.durationS;

  const loop = async (thread: number): Promise<void> => {
    const n = plan.callsPerConnection;
    const offsetS = useQps && opts.uniform ? thread / opts.qps : 0;
    if (offsetS > 0) await wait(offsetS, opts.signal);
    for (let i = 0; ; ) {
      if (opts.signal?.aborted) return;
      const callStart = now();
      if (callStart > end) {
        if (!useQps) return;
        // Two calls at least, and the last one even when late; otherwise time is up.
        if (i >= 2 && i !== n - 1) {
          warnings.push(`T${String(thread).padStart(3, '0')} warning only did ${i} out of ${n} calls before reaching ${opts.durationS}s`);
          return;
        }
      }
      const code = await call(thread);
      durations.record(ns(now() - callStart));
      codes.set(code, (codes.get(code) ?? 0) + 1);
      i++;
      if (!useQps) continue;
      if (i >= n) return;
      const next = nextSlot(i, n, now() - start, perConnectionQps, offsetS, opts.noCatchUp);
      skipped += next.skipped;
      i = next.i;
      if (i >= n) return;
      const sleepS = next.sleepS + (opts.jitter ? jitterOf(next.sleepS) : 0);
      sleeps.record(ns(sleepS));
      await wait(sleepS, opts.signal);
    }
  };
  await Promise.all(Array.from({ length: plan.connections }, (_, t) => loop(t)));
  const actualDurationS = now() - start;
  return {
    requestedQps: useQps ? String(opts.qps) : 'max',
    requestedDurationS: opts.durationS,
    connections: plan.connections,
    callsPerConnection: plan.callsPerConnection,
    startTime,
    actualDurationS,
    actualQps: durations.count / actualDurationS,
    durations,
    sleeps,
    codes,
    skipped,
    warnings,
  };
}
