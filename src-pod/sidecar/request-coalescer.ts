// Bounds a flow stream's per-request events under load: a rate of them pass, the rest fold into per-connection summaries.
//
// Why: each request event costs the proxy a JSON build on its own event loop, then a line through the
// engine's exec stream and the main process's join; at a benchmark's 1000 req/s that lands on the
// measured path. A learner's requests (a few a second) all pass as they are; a load gets a live
// sample of its requests plus exact per-connection counts.

/** What a folded request contributes to its connection's summary. */
export interface RequestFigures {
  code: number;
  /** Envoy's short response flags, `-` when none. */
  flags: string;
  received: number;
  sent: number;
  durationMs: number;
}

/** The requests of one connection folded since its last summary. */
export interface RequestSummary<T> {
  connectionId: number;
  requests: number;
  /** By response code (`0`: no response). */
  codes: Record<string, number>;
  /** By response flags. */
  flags: Record<string, number>;
  bytes: { received: number; sent: number };
  durationMs: { max: number; sum: number };
  /** The last folded request, which the summary's event describes (cluster, route, upstream). */
  last: T;
}

export interface CoalescerOptions {
  /** Request events passed per second over the whole stream (a token bucket; its burst is one second's worth). */
  ratePerSecond: number;
  /** How long a connection's folded requests wait before their summary goes out (it also goes out at the close). */
  flushMs: number;
}


export class RequestCoalescer<T> {
  private tokens: number;
  private refilled: number;
  private readonly folded = new Map<number, RequestSummary<T> & { since: number }>();

  constructor(
    readonly opts: CoalescerOptions,
    private readonly now: () => number,
  ) {
    this.tokens = opts.ratePerSecond;
    this.refilled = now();
  }

  /** True: send this request as its own event. False: it was folded into its connection's summary. */
  offer(connectionId: number, figures: RequestFigures, item: T): boolean {
    const now = this.now();
    this.tokens = Math.min(this.opts.ratePerSecond, this.tokens + ((now - this.refilled) / 1000) * this.opts.ratePerSecond);
    this.refilled = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    let s = this.folded.get(connectionId);
    if (!s) {
      s = { connectionId, requests: 0, codes: {}, flags: {}, bytes: { received: 0, sent: 0 }, durationMs: { max: 0, sum: 0 }, last: item, since: now };
      this.folded.set(connectionId, s);
    }
    s.requests++;
    s.codes[figures.code] = (s.codes[figures.code] ?? 0) + 1;
    s.flags[figures.flags] = (s.flags[figures.flags] ?? 0) + 1;
    s.bytes.received += figures.received;
    s.bytes.sent += figures.sent;
    s.durationMs.max = Math.max(s.durationMs.max, figures.durationMs);
    s.durationMs.sum += figures.durationMs;
    s.last = item;
    return false;
  }

  /** The connection's summary, if it has folded requests (take it before its close event goes out). */
  take(connectionId: number): RequestSummary<T> | undefined {
    const s = this.folded.get(connectionId);
    if (!s) return undefined;
    this.folded.delete(connectionId);
    return strip(s);
  }

  /** Summaries that waited `flushMs`, oldest first (call on a timer). */
  due(): RequestSummary<T>[] {
    const now = this.now();
    const out: RequestSummary<T>[] = [];
    // Map order is insertion order: the oldest waiting connection comes first.
    for (const [id, s] of this.folded) {
      if (now - s.since < this.opts.flushMs) break;
      this.folded.delete(id);
      out.push(strip(s));
    }
    return out;
  }

  /** Connections with folded requests waiting. */
  get waiting(): number {
    return this.folded.size;
  }
}

function strip<T>(s: RequestSummary<T>): RequestSummary<T> {
  return { connectionId: s.connectionId, requests: s.requests, codes: s.codes, flags: s.flags, bytes: s.bytes, durationMs: s.durationMs, last: s.last };
}
