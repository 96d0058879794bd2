// One upstream attempt of the fast path: writes the request, reads the response off a raw socket.
import type { Socket } from 'node:net';
import { ChunkedDecoder, chunkHeader, CRLF, LAST_CHUNK } from './chunked';
import type { ProxyContext } from '../context';
import type { Downstream } from './http-connection';
import { INVALID, NEED_MORE, parseResponseHead, type RequestHead, type ResponseHead } from './http1-parser';
import type { ClusterStats, HostStats } from '../stats';
import { since, type StreamInfo } from '../stream-info';
import type { UpstreamConn, UpstreamUser } from './upstream-pool';

// Where the response is: its head, then a body framed by length, chunks or the connection's end.
const M_HEAD = 0;
const M_NONE = 1;
const M_LENGTH = 2;
const M_CHUNKED = 3;
const M_CLOSE = 4;
const M_DONE = 5;
// Above this many pending bytes, writes go out corked one by one instead of copied into one.
const CONCAT_LIMIT = 64 * 1024;

function hangUp(): NodeJS.ErrnoException {
  return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
}

function parseError(): NodeJS.ErrnoException {
  return Object.assign(new Error('Parse Error: invalid upstream response'), { code: 'HPE_INVALID_CONSTANT' });
}

/** What an attempt reports to, and reads from, its exchange (h1-exchange.ts). */
export interface AttemptOwner {
  readonly ctx: ProxyContext;
  readonly req: RequestHead;
  /** The source address the cluster binds (Istio's inbound 127.0.0.6). */
  readonly bind: string | undefined;
  readonly cs: ClusterStats;
  readonly down: Downstream;
  readonly info: StreamInfo;
  onTimeout(a: UpstreamAttempt): void;
  /** True when the exchange retries. */
  onAttemptError(a: UpstreamAttempt, err: NodeJS.ErrnoException): boolean;
  onAborted(flag: 'UC' | 'UPE'): void;
  /** False: read and drop the body (a 503 about to be retried). */
  onResponseHead(a: UpstreamAttempt, h: ResponseHead): boolean;
}

/** Writes `pieces` to `socket` in one write (or one corked batch); returns write()'s answer. */
export function writeAll(socket: Socket, pieces: Buffer[], bytes: number, cb?: (err?: Error | null) => void): boolean {
  if (pieces.length === 1) return socket.write(pieces[0], cb);
  if (bytes <= CONCAT_LIMIT) return socket.write(Buffer.concat(pieces, bytes), cb);
  socket.cork();
  let ok = true;
  for (let i = 0; i < pieces.length; i++) ok = socket.write(pieces[i], i === pieces.length - 1 ? cb : undefined);
  socket.uncork();
  return ok;
}

export class UpstreamAttempt implements UpstreamUser {
  conn!: UpstreamConn;
  connected = false;
  reused = false;
  sentAt = 0;
  /** A response or a failure has been settled for this attempt (Node's `responded`). */
  private responded = false;
  private active = true;
  private timer: NodeJS.Timeout | undefined;
  private chunked = false;
  private out: Buffer[] = [];
  private outBytes = 0;
  private requestEnded = false;
  private upstreamBackedUp = false;
  private responsePaused = false;
  private partial: Buffer | undefined;
  private head: ResponseHead | undefined;
  private mode = M_HEAD;
  private remaining = 0;
  private decoder: ChunkedDecoder | undefined;
  private discard = false;
  private reusable = false;
  private responseDone = false;
  private released = false;

  constructor(
    private readonly ex: AttemptOwner,
    readonly hs: HostStats,
    readonly host: string,
    readonly reusedRetry: boolean,
  ) {}

  connect(address: string, port: number, timeoutMs: number): void {
    const { ex } = this;
    this.sentAt = performance.now();
    this.conn = ex.ctx.pool.acquire(this, address, port, ex.bind, ex.cs, this.hs, timeoutMs);
    if (this.conn.reused) {
      this.reused = true;
      this.connected = true;
      ex.info.upstreamLocal = this.conn.local;
    }
  }

  onUpstreamConnect(c: UpstreamConn): void {
    this.connected = true;
    this.ex.info.upstreamConnectMs = since(this.ex.info);
    this.ex.info.upstreamLocal = c.local;
  }

  startTimer(ms: number): void {
    this.timer = setTimeout(() => {
      if (this.responded) return;
      this.responded = true;
      this.settle();
      this.ex.onTimeout(this);
    }, ms);
  }

  private settle(): void {
    if (!this.active) return;
    this.active = false;
    this.ex.cs.upstream_rq_active--;
    this.hs.rq_active--;
  }

  // ---- request ------------------------------------------------------------------------------

  writeHead(head: Buffer, chunked: boolean): void {
    this.chunked = chunked;
    this.out.push(head);
    this.outBytes += head.length;
  }

  writeBody(chunk: Buffer): void {
    if (this.requestEnded || this.released) return;
    if (this.chunked) {
      const size = Buffer.from(chunkHeader(chunk.length), 'latin1');
      this.out.push(size, chunk, CRLF);
      this.outBytes += size.length + chunk.length + 2;
    } else {
      this.out.push(chunk);
      this.outBytes += chunk.length;
    }
  }

  endBody(): void {
    if (this.requestEnded) return;
    if (this.chunked && !this.released) {
      this.out.push(LAST_CHUNK);
      this.outBytes += LAST_CHUNK.length;
    }
    this.requestEnded = true;
    this.flush();
    this.maybeRelease();
  }

  flush(): void {
    if (this.out.length === 0) return;
    const pieces = this.out;
    const bytes = this.outBytes;
    this.out = [];
    this.outBytes = 0;
    if (this.released || this.conn.socket.destroyed) {
      // Nowhere to go: the rest of the body is read and dropped.
      this.resumeRequest();
      return;
    }
    if (!writeAll(this.conn.socket, pieces, bytes) && !this.requestEnded && !this.upstreamBackedUp) {
      // The request body waits for the upstream: Node's req.pause() until 'drain'.
      this.upstreamBackedUp = true;
      this.ex.down.pauseReading();
    }
  }

  onUpstreamDrain(): void {
    this.resumeRequest();
  }

  private resumeRequest(): void {
    if (!this.upstreamBackedUp) return;
    this.upstreamBackedUp = false;
    this.ex.down.resumeReading();
  }

  // ---- response -----------------------------------------------------------------------------

  onUpstreamData(c: UpstreamConn, chunk: Buffer): void {
    if (this.mode === M_DONE) {
      // Bytes past the response: the connection is out of step, never reuse it.
      this.reusable = false;
      return;
    }
    let buf = chunk;
    let pos = 0;
    if (this.mode === M_HEAD) {
      buf = this.partial ? Buffer.concat([this.partial, chunk]) : chunk;
      let h: ResponseHead | typeof NEED_MORE | typeof INVALID;
      for (;;) {
        h = parseResponseHead(buf);
        if (h === NEED_MORE) {
          this.partial = buf;
          return;
        }
        this.partial = undefined;
        if (h === INVALID || h.status < 100) return this.fail(parseError());
        // Node's client would take a 101 for an upgrade nobody asked for and drop the connection.
        if (h.status === 101) return this.fail(hangUp());
        if (h.status >= 200) break;
        // 1xx interim responses are not forwarded (Node's client reads past them).
        buf = buf.subarray(h.end);
        if (buf.length === 0) return;
      }
      this.head = h;
      pos = h.end;
      const ex = this.ex;
      if (ex.req.method === 'HEAD' || h.status === 204 || h.status === 304) this.mode = M_NONE;
      else if (h.chunked) {
        this.mode = M_CHUNKED;
        this.decoder = new ChunkedDecoder();
      } else if (h.contentLength >= 0) {
        this.mode = M_LENGTH;
        this.remaining = h.contentLength;
      } else this.mode = M_CLOSE;
      if (this.responded) this.discard = true;
      else {
        this.responded = true;
        clearTimeout(this.timer);
        this.settle();
        if (!ex.onResponseHead(this, h)) this.discard = true;
      }
    }
    this.readBody(buf, pos);
    if (this.mode !== M_DONE && !this.discard && !this.ex.down.flush()) {
      this.responsePaused = true;
      c.socket.pause();
    }
  }

  private readonly deliver = (data: Buffer): void => {
    if (this.discard) return;
    this.ex.info.bytesSent += data.length;
    this.ex.down.body(data);
  };

  private readBody(buf: Buffer, pos: number): void {
    const end = buf.length;
    switch (this.mode) {
      case M_NONE:
        this.complete(pos === end);
        return;
      case M_LENGTH: {
        const n = Math.min(this.remaining, end - pos);
        if (n > 0) this.deliver(pos === 0 && n === end ? buf : buf.subarray(pos, pos + n));
        this.remaining -= n;
        if (this.remaining === 0) this.complete(pos + n === end);
        return;
      }
      case M_CHUNKED: {
        const decoder = this.decoder as ChunkedDecoder;
        const stop = decoder.feed(buf, pos, end, this.deliver);
        if (decoder.error) this.aborted('UPE');
        else if (decoder.done) this.complete(stop === end);
        return;
      }
      case M_CLOSE:
        if (pos < end) this.deliver(pos === 0 ? buf : buf.subarray(pos));
        return;
    }
  }

  private complete(clean: boolean): void {
    const closeDelimited = this.mode === M_CLOSE;
    this.mode = M_DONE;
    this.responseDone = true;
    this.reusable = clean && !closeDelimited && !(this.head as ResponseHead).close;
    this.maybeRelease();
    if (!this.discard) this.ex.down.end();
  }

  private maybeRelease(): void {
    if (!this.responseDone || !this.requestEnded || this.released) return;
    this.released = true;
    this.resumeRequest();
    this.conn.release(this.reusable);
  }

  resumeResponse(): void {
    if (!this.responsePaused) return;
    this.responsePaused = false;
    this.conn.socket.resume();
  }

  onUpstreamEnd(): void {
    if (this.mode === M_CLOSE) this.complete(true);
    else this.onUpstreamClose();
  }

  onUpstreamError(_c: UpstreamConn, err: NodeJS.ErrnoException): void {
    if (this.mode === M_HEAD) this.fail(err);
    else if (this.mode !== M_DONE) this.aborted();
  }

  onUpstreamClose(): void {
    if (this.mode === M_HEAD) this.fail(hangUp());
    else if (this.mode === M_CLOSE) this.complete(true);
    else if (this.mode !== M_DONE) this.aborted();
    // Closed after its response while the request body was held back for it.
    else this.resumeRequest();
  }

  /** Failed before a response: the error path of node-exchange.ts. */
  private fail(err: NodeJS.ErrnoException): void {
    this.end();
    if (this.responded) return;
    this.settle();
    if (this.ex.onAttemptError(this, err)) {
      this.responded = true;
      clearTimeout(this.timer);
    }
  }

  /** The response stopped mid-body: closed (UC), or a body that cannot be framed (UPE). */
  private aborted(flag: 'UC' | 'UPE' = 'UC'): void {
    this.end();
    if (!this.discard) this.ex.onAborted(flag);
  }

  /** The downstream went away, or the route timeout gave up on this attempt. */
  abandon(): void {
    if (!this.responded) {
      this.responded = true;
      this.settle();
    }
    clearTimeout(this.timer);
    this.end();
  }

  private end(): void {
    this.mode = M_DONE;
    this.released = true;
    this.out = [];
    this.conn.destroy();
    this.resumeRequest();
  }
}
