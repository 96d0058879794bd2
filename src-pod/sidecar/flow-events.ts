// Structured per-connection / per-request events in a bounded ring, streamed as NDJSON on /lab/flows.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestCoalescer, type RequestSummary } from './request-coalescer';
import { formatFlags, isoTime, snapshotStreamInfo, type StreamInfo } from './stream-info';

/** The unix socket where the lab's capture reads flow events (`sidecar --lab-socket`). */
export const LAB_SOCKET = '/tmp/sidecar-lab.sock';

export interface Endpoint4 {
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
}

export interface HostPort {
  address: string;
  port: number;
}

/** One line of `GET /lab/flows`. */
export interface FlowEvent {
  /** Strictly increasing per proxy process, from 1. */
  seq: number;
  /**
   * `connection.open` when accepted (before any upstream), `connection.close`, `request` (HTTP, when
   * done), or `request.summary`: requests a coalescing stream (`?coalesce=N`) folded, described by
   * the last of them, with their counts in `summary`.
   */
  type: 'connection.open' | 'connection.close' | 'request' | 'request.summary';
  /** ISO time the connection / request started. */
  time: string;
  connectionId: number;
  direction: 'outbound' | 'inbound';
  listener: string;
  filterChain: string;
  /** `tcp` or `http` (`sniffing` on open events of undeclared ports). */
  protocol: 'tcp' | 'http' | 'sniffing';
  /** The accepted socket: remote = the app / peer, local = the proxy's listener address. */
  downstream: Endpoint4;
  originalDst: HostPort | null;
  cluster: string | null;
  route: string | null;
  /** The proxy's upstream connection, once made. */
  upstream: Endpoint4 | null;
  /** Bytes from the downstream (`received`) and to it (`sent`); HTTP: body bytes. */
  bytes: { received: number; sent: number };
  /** ms since `time` (fractional); null when it did not happen. */
  timings: { startMs: number; upstreamConnectMs: number | null; firstByteMs: number | null; endMs: number | null };
  response: { code: number; flags: string; details: string | null };
  http?: {
    method: string;
    authority: string | null;
    path: string;
    protocol: string;
    requestId: string | null;
    userAgent: string | null;
    attempts: number;
  };
  /** `request.summary` only. */
  summary?: {
    requests: number;
    codes: Record<string, number>;
    flags: Record<string, number>;
    bytes: { received: number; sent: number };
    durationMs: { max: number; avg: number };
  };
}

/** `10.0.0.1:80` / `[fd00::1]:80` back into parts. */
export function splitAddress(text: string | undefined): HostPort | null {
  if (text === undefined || text === '') return null;
  const colon = text.lastIndexOf(':');
  if (colon <= 0) return null;
  const host = text.slice(0, colon);
  return { address: host.startsWith('[') ? host.slice(1, -1) : host, port: Number(text.slice(colon + 1)) };
}

function four(local: string | undefined, remote: string | undefined): Endpoint4 | null {
  const l = splitAddress(local);
  const r = splitAddress(remote);
  if (!l || !r) return null;
  return { localAddress: l.address, localPort: l.port, remoteAddress: r.address, remotePort: r.port };
}

const round = (v: number | undefined): number | null => (v === undefined ? null : Math.round(v * 1000) / 1000);

/** Builds the event from a stream record (seq is set on publish). */
export function toFlowEvent(type: FlowEvent['type'], s: StreamInfo, protocol?: FlowEvent['protocol']): Omit<FlowEvent, 'seq'> {
  const event: Partial<FlowEvent> = flowEvent(0, type, s, protocol);
  delete event.seq;
  return event as Omit<FlowEvent, 'seq'>;
}

/** The event with its seq, built in one object literal (seq first, as the NDJSON shows it). */
export function flowEvent(seq: number, type: FlowEvent['type'], s: StreamInfo, protocol?: FlowEvent['protocol']): FlowEvent {
  const event: FlowEvent = {
    seq,
    type,
    time: isoTime(s.startTime),
    connectionId: s.connectionId,
    direction: s.direction,
    listener: s.listener,
    filterChain: s.filterChain,
    protocol: protocol ?? s.kind,
    downstream: four(s.listenerAddress, s.downstreamRemote) ?? {
      localAddress: '',
      localPort: 0,
      remoteAddress: '',
      remotePort: 0,
    },
    originalDst: splitAddress(s.downstreamLocal),
    cluster: s.cluster ?? null,
    route: s.routeName ?? null,
    upstream: four(s.upstreamLocal, s.upstreamHost),
    bytes: { received: s.bytesReceived, sent: s.bytesSent },
    timings: {
      startMs: s.startTime,
      upstreamConnectMs: round(s.upstreamConnectMs),
      firstByteMs: round(s.firstUpstreamByteMs),
      endMs: type === 'connection.open' ? null : round(s.durationMs),
    },
    response: { code: s.responseCode, flags: formatFlags(s.flags), details: s.responseCodeDetails ?? null },
  };
  if (s.kind === 'http' && (type === 'request' || type === 'request.summary')) {
    event.http = {
      method: s.method ?? '',
      authority: s.authority ?? null,
      path: s.path ?? '',
      protocol: s.protocol ?? 'HTTP/1.1',
      requestId: s.requestId ?? null,
      userAgent: s.userAgent ?? null,
      attempts: s.attempts ?? 1,
    };
  }
  return event;
}

// A subscriber further behind than this is cut off rather than buffered without bound.
const MAX_SUBSCRIBER_BACKLOG = 8 * 1024 * 1024;

/**
 * A ring slot: the built event, or (the usual case) what it is built from. Building the JSON-ready
 * object costs about as much as proxying a small request, so it waits until someone reads it.
 */
interface PendingFlow {
  seq: number;
  type: FlowEvent['type'];
  protocol: FlowEvent['protocol'] | undefined;
  /** A snapshot, not the live record: later changes must not show in an event already published. */
  info: StreamInfo | undefined;
  built: FlowEvent | undefined;
}

/** A live stream: where its lines go, and its coalescer when it asked for one. */
interface Subscriber {
  write: (line: string) => void;
  coalescer: RequestCoalescer<PendingFlow> | undefined;
}

// How often folded requests are looked at; a summary goes out once it waited its flushMs.
const FLUSH_TICK_MS = 250;

function build(p: PendingFlow): FlowEvent {
  if (p.built === undefined) {
    p.built = flowEvent(p.seq, p.type, p.info as StreamInfo, p.protocol);
    p.info = undefined;
  }
  return p.built;
}

export class FlowLog {
  private readonly ring: PendingFlow[] = [];
  private start = 0;
  private seq = 0;
  private readonly subscribers = new Set<Subscriber>();
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly capacity = 10_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get lastSeq(): number {
    return this.seq;
  }

  private push(p: PendingFlow): void {
    if (this.ring.length < this.capacity) this.ring.push(p);
    else {
      this.ring[this.start] = p;
      this.start = (this.start + 1) % this.capacity;
    }
    if (this.subscribers.size === 0) return;
    let line: string | undefined;
    for (const s of this.subscribers) {
      const c = s.coalescer;
      if (c && p.type === 'request' && !c.offer(connectionIdOf(p), figuresOf(p), p)) continue;
      if (c && p.type === 'connection.close') {
        const folded = c.take(connectionIdOf(p));
        if (folded) s.write(summaryLine(folded));
      }
      line ??= `${JSON.stringify(build(p))}\n`;
      s.write(line);
    }
  }

  /** Sends the summaries that waited their time (a timer calls it while a coalescing stream is open). */
  flushDue(): void {
    for (const s of this.subscribers) for (const folded of s.coalescer?.due() ?? []) s.write(summaryLine(folded));
  }

  /** Publishes a built event (seq is assigned here). */
  publish(event: Omit<FlowEvent, 'seq'>): FlowEvent {
    const full = { seq: ++this.seq, ...event } as FlowEvent;
    this.push({ seq: full.seq, type: full.type, protocol: full.protocol, info: undefined, built: full });
    return full;
  }

  /**
   * Publishes the event `toFlowEvent(type, info, protocol)` would build, as of now; the object
   * (and its JSON) is only made when a subscriber or a `since` reader needs it.
   */
  record(type: FlowEvent['type'], info: StreamInfo, protocol?: FlowEvent['protocol']): void {
    this.push({ seq: ++this.seq, type, protocol, info: snapshotStreamInfo(info), built: undefined });
  }

  /** Events with seq > `since`, oldest first. */
  since(since: number): FlowEvent[] {
    const out: FlowEvent[] = [];
    for (let i = 0; i < this.ring.length; i++) {
      const e = this.ring[(this.start + i) % this.ring.length];
      if (e.seq > since) out.push(build(e));
    }
    return out;
  }

  /** Live lines from now on; with `coalesceRate`, at most about that many request events a second, the rest in summaries. */
  subscribe(fn: (line: string) => void, coalesceRate?: number): () => void {
    const s: Subscriber = {
      write: fn,
      coalescer: coalesceRate === undefined ? undefined : new RequestCoalescer<PendingFlow>({ ratePerSecond: coalesceRate, flushMs: 1000 }, this.now),
    };
    this.subscribers.add(s);
    if (s.coalescer && !this.flushTimer) {
      this.flushTimer = setInterval(() => this.flushDue(), FLUSH_TICK_MS);
      this.flushTimer.unref();
    }
    return () => {
      this.subscribers.delete(s);
      if (this.flushTimer && ![...this.subscribers].some((x) => x.coalescer)) {
        clearInterval(this.flushTimer);
        this.flushTimer = undefined;
      }
    };
  }

  /**
   * `GET /lab/flows[?since=SEQ][&follow=0][&coalesce=N]`: NDJSON, chunked. With `since`, the
   * ring's events after SEQ come first (`since=0`: all it holds); then live events until the client
   * goes away (or, with `follow=0`, the response ends after the backlog). With `coalesce`, live
   * request events beyond N a second fold into `request.summary` events per connection.
   */
  serve(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): void {
    const sinceText = query.get('since');
    const since = sinceText === null ? undefined : Number(sinceText);
    if (since !== undefined && (!Number.isInteger(since) || since < 0)) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('since: expected a non-negative integer\n');
      return;
    }
    const coalesceText = query.get('coalesce');
    const coalesce = coalesceText === null ? undefined : Number(coalesceText);
    if (coalesce !== undefined && (!Number.isInteger(coalesce) || coalesce < 1)) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('coalesce: expected request events per second, a whole number from 1\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache' });
    if (since !== undefined) {
      const backlog = this.since(since);
      if (backlog.length > 0) res.write(backlog.map((e) => `${JSON.stringify(e)}\n`).join(''));
    }
    if (query.get('follow') === '0') {
      res.end();
      return;
    }
    // Headers go out now so a client sees the stream open before the first event.
    res.flushHeaders();
    const unsubscribe = this.subscribe((line) => {
      if (res.writableLength > MAX_SUBSCRIBER_BACKLOG) {
        unsubscribe();
        res.destroy();
        return;
      }
      res.write(line);
    }, coalesce);
    const stop = (): void => {
      unsubscribe();
    };
    req.once('close', stop);
    res.once('close', stop);
  }

  /** Ends every live stream (shutdown). */
  closeAll(): void {
    this.subscribers.clear();
    clearInterval(this.flushTimer);
    this.flushTimer = undefined;
  }
}

function connectionIdOf(p: PendingFlow): number {
  return p.info?.connectionId ?? (p.built as FlowEvent).connectionId;
}

/** What a request adds to its connection's summary, read without building its event. */
function figuresOf(p: PendingFlow): { code: number; flags: string; received: number; sent: number; durationMs: number } {
  if (p.info) {
    const i = p.info;
    return { code: i.responseCode, flags: formatFlags(i.flags), received: i.bytesReceived, sent: i.bytesSent, durationMs: i.durationMs ?? 0 };
  }
  const e = p.built as FlowEvent;
  return { code: e.response.code, flags: e.response.flags, received: e.bytes.received, sent: e.bytes.sent, durationMs: e.timings.endMs ?? 0 };
}

/** The summary's line: the last folded request's event, typed `request.summary`, with the counts; its seq is that request's. */
function summaryLine(folded: RequestSummary<PendingFlow>): string {
  const last = build(folded.last);
  const event: FlowEvent = {
    ...last,
    type: 'request.summary',
    summary: {
      requests: folded.requests,
      codes: folded.codes,
      flags: folded.flags,
      bytes: folded.bytes,
      durationMs: { max: folded.durationMs.max, avg: Math.round((folded.durationMs.sum / folded.requests) * 1000) / 1000 },
    },
  };
  return `${JSON.stringify(event)}\n`;
}
