// The HTTP/1.1 fast path for one downstream connection: reads requests off the socket, one at a
// time, and writes each response in as few writes as it can. What it does not handle (Upgrade,
// CONNECT, Expect, HTTP/1.0, anything malformed) it hands, socket and bytes, to Node's http server.
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { ChunkedDecoder, chunkHeader, CRLF, LAST_CHUNK } from './chunked';
import type { ProxyContext } from '../context';
import { H1Exchange } from './h1-exchange';
import { FALLBACK, NEED_MORE, parseRequestHead, type RequestHead, type ResponseHead } from './http1-parser';
import type { ConnectionManager, Downstream, HttpConnection } from './http-connection';
import { routeTarget } from './route-policy';
import { KEEP_ALIVE_MS, localReplyMessage, proxiedResponseHead } from './response-heads';
import type { RouteEntry } from '../routing';
import { addFlag, since, type StreamInfo } from '../stream-info';
import { writeAll } from './upstream-attempt';

// As Node's server is set up in connection-manager.ts: 60 s for a request head.
const HEADERS_TIMEOUT_MS = 60_000;
// Bytes of later (pipelined) requests held while one is in flight before reading pauses.
const PIPELINE_LIMIT = 64 * 1024;
const PAUSE_UPSTREAM = 1;
const PAUSE_PIPELINE = 2;
const EMPTY = Buffer.alloc(0);

export class Http1Connection implements Downstream {
  private buf: Buffer | undefined;
  private info: StreamInfo | undefined;
  private exchange: H1Exchange | undefined;
  /** The request body is still arriving. */
  private reading = false;
  private remaining = 0;
  private decoder: ChunkedDecoder | undefined;
  headersSent = false;
  destroyed = false;
  private ended = false;
  private finished = false;
  private keepAlive = true;
  private chunkedOut = false;
  private out: Buffer[] = [];
  private outBytes = 0;
  private served = 0;
  /** No further requests on this connection. */
  private closing = false;
  private parsing = false;
  private handedOff = false;
  private pauses = 0;
  private headersTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly proxy: ConnectionManager,
    private readonly ctx: ProxyContext,
    private readonly socket: Socket,
    private readonly conn: HttpConnection,
  ) {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onClose);
    socket.on('drain', this.onDrain);
    socket.on('timeout', this.onTimeout);
  }

  /** Starts reading; `head` is what protocol sniffing already read. */
  start(head: Buffer | undefined): void {
    if (head && head.length > 0) this.onData(head);
    if (!this.handedOff && this.pauses === 0) this.socket.resume();
  }

  // ---- reading requests ---------------------------------------------------------------------

  private readonly onData = (chunk: Buffer): void => {
    if (this.closing) return;
    if (this.reading) {
      const pos = this.feedBody(chunk, 0);
      this.exchange?.flushUpstream();
      if (pos < chunk.length && !this.closing) this.hold(chunk.subarray(pos));
      // The response went out before the body ended: the next request may be here already.
      if (this.info === undefined) this.next();
      return;
    }
    this.hold(chunk);
    if (this.info === undefined) this.next();
  };

  private hold(chunk: Buffer): void {
    this.buf = this.buf === undefined ? chunk : Buffer.concat([this.buf, chunk]);
    if (this.info !== undefined && this.buf.length > PIPELINE_LIMIT) this.pauseFor(PAUSE_PIPELINE);
  }

  /** Parses and starts the next request from the bytes held, if the previous one is done. */
  private next(): void {
    if (this.parsing) return;
    this.parsing = true;
    while (this.info === undefined && this.buf !== undefined && !this.closing && !this.handedOff) {
      const h = parseRequestHead(this.buf);
      if (h === NEED_MORE) {
        this.headersTimer ??= setTimeout(() => this.headersTimedOut(), HEADERS_TIMEOUT_MS);
        break;
      }
      if (h === FALLBACK) {
        this.handOff();
        break;
      }
      if (this.headersTimer !== undefined) {
        clearTimeout(this.headersTimer);
        this.headersTimer = undefined;
      }
      const buf = this.buf;
      this.buf = undefined;
      this.begin(h);
      if (this.reading && h.end < buf.length) {
        const pos = this.feedBody(buf, h.end);
        if (pos < buf.length && !this.closing) this.hold(buf.subarray(pos));
      } else if (h.end < buf.length) this.hold(buf.subarray(h.end));
      this.exchange?.flushUpstream();
    }
    this.parsing = false;
    if (this.info === undefined) this.resumeFor(PAUSE_PIPELINE);
  }

  /** What HttpProxy.onRequest does for a request Node parsed. */
  private begin(h: RequestHead): void {
    const { conn, ctx } = this;
    const info = this.proxy.newInfo(conn);
    info.method = h.method;
    info.path = h.originalPath ?? h.target;
    info.protocol = 'HTTP/1.1';
    info.authority = h.host;
    info.userAgent = h.userAgent;
    info.forwardedFor = h.forwardedFor;
    info.requestId = h.requestId !== undefined && h.requestId !== '' ? h.requestId : randomUUID();
    conn.stats.downstream_rq_total++;
    conn.stats.downstream_rq_active++;
    const route = this.proxy.routeForHost(conn, h.host);
    info.routeName = route?.name;
    this.info = info;
    this.headersSent = false;
    this.ended = false;
    this.finished = false;
    this.chunkedOut = false;
    this.keepAlive = !h.close && !ctx.draining && !(ctx.inboundDraining && conn.direction === 'inbound');
    this.reading = h.chunked || h.contentLength > 0;
    this.remaining = h.contentLength;
    this.decoder = h.chunked ? new ChunkedDecoder() : undefined;
    const target = routeTarget(route);
    if ('reply' in target) {
      // No upstream (no route, a direct response, no such cluster): the body is read and dropped, uncounted.
      this.exchange = undefined;
      info.responseCodeDetails = target.reply.details;
      if (target.reply.flag) addFlag(info, target.reply.flag);
      this.localReply(target.reply.code, target.reply.body);
    } else {
      this.exchange = new H1Exchange(ctx, conn, h, this, info, route as RouteEntry, target.cluster);
      this.exchange.start();
    }
    if (!this.reading) this.exchange?.onBodyEnd();
  }

  private readonly deliverBody = (chunk: Buffer): void => {
    this.exchange?.onBody(chunk);
  };

  private feedBody(buf: Buffer, pos: number): number {
    const decoder = this.decoder;
    if (decoder === undefined) {
      const n = Math.min(this.remaining, buf.length - pos);
      if (n > 0) this.deliverBody(pos === 0 && n === buf.length ? buf : buf.subarray(pos, pos + n));
      this.remaining -= n;
      if (this.remaining === 0) this.bodyEnd();
      return pos + n;
    }
    const stop = decoder.feed(buf, pos, buf.length, this.deliverBody);
    if (decoder.error) {
      // Node's parser fails the connection: clientError, 400 with DPE; this request ends as DC.
      this.reading = false;
      this.closing = true;
      this.buf = undefined;
      this.proxy.rejectMalformed(Object.assign(new Error('Parse Error: Invalid character in chunk size'), { code: 'HPE_INVALID_CHUNK_SIZE' }), this.socket);
      return buf.length;
    }
    if (decoder.done) this.bodyEnd();
    return stop;
  }

  private bodyEnd(): void {
    this.reading = false;
    this.exchange?.onBodyEnd();
    if (this.finished) this.requestComplete();
  }

  private requestComplete(): void {
    this.info = undefined;
    this.exchange?.detach();
    this.exchange = undefined;
    this.decoder = undefined;
    if (!this.parsing) this.next();
  }

  // ---- writing the response (Downstream) ----------------------------------------------------

  head(h: ResponseHead, appended: readonly string[], noBody: boolean): void {
    if (this.headersSent) return;
    this.headersSent = true;
    this.chunkedOut = !noBody && h.contentLength === -1;
    this.push(proxiedResponseHead(h, appended, this.keepAlive, this.chunkedOut, this.conn.headers.server));
  }

  body(chunk: Buffer): void {
    if (this.ended) return;
    if (this.chunkedOut) {
      this.push(Buffer.from(chunkHeader(chunk.length), 'latin1'));
      this.push(chunk);
      this.push(CRLF);
    } else this.push(chunk);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.chunkedOut) this.push(LAST_CHUNK);
    this.flush();
  }

  private push(b: Buffer): void {
    this.out.push(b);
    this.outBytes += b.length;
  }

  flush(): boolean {
    const pieces = this.out;
    const bytes = this.outBytes;
    this.out = [];
    this.outBytes = 0;
    if (this.destroyed || this.socket.writableEnded) return true;
    if (this.ended) {
      // Node's 'finish': once the last byte is handed to the kernel.
      if (pieces.length === 0) pieces.push(EMPTY);
      return writeAll(this.socket, pieces, bytes, this.onFlushed);
    }
    return pieces.length === 0 ? true : writeAll(this.socket, pieces, bytes);
  }

  localReply(code: number, body: string): void {
    const info = this.info as StreamInfo;
    info.responseCode = code;
    if (this.headersSent) {
      this.destroy();
      return;
    }
    const bytes = Buffer.byteLength(body);
    info.bytesSent = bytes;
    this.headersSent = true;
    this.push(localReplyMessage(code, body, this.keepAlive, this.conn.headers.server));
    this.end();
  }

  destroy(): void {
    this.destroyed = true;
    this.socket.destroy();
  }

  pauseReading(): void {
    this.pauseFor(PAUSE_UPSTREAM);
  }

  resumeReading(): void {
    this.resumeFor(PAUSE_UPSTREAM);
  }

  private pauseFor(reason: number): void {
    if (this.pauses === 0) this.socket.pause();
    this.pauses |= reason;
  }

  private resumeFor(reason: number): void {
    if ((this.pauses & reason) === 0) return;
    this.pauses &= ~reason;
    if (this.pauses === 0 && !this.handedOff) this.socket.resume();
  }

  private readonly onFlushed = (err?: Error | null): void => {
    if (err || this.finished || this.info === undefined) return;
    this.finished = true;
    this.logDone(this.info);
    this.served++;
    if (!this.keepAlive) {
      // Node's destroySoon after a `Connection: close` response; anything still unread is dropped.
      this.closing = true;
      this.buf = undefined;
      const s = this.socket;
      s.end();
      if (s.writableFinished) s.destroy();
      else s.once('finish', () => s.destroy());
      return;
    }
    if (this.served === 1) this.socket.setTimeout(KEEP_ALIVE_MS);
    if (!this.reading) this.requestComplete();
  };

  /** HttpProxy.onRequest's `finish`: counters, access log, metrics, flow event. */
  private logDone(info: StreamInfo): void {
    const stats = this.conn.stats;
    stats.downstream_rq_active--;
    const code = info.responseCode;
    if (code >= 500) stats.downstream_rq_5xx++;
    else if (code >= 400) stats.downstream_rq_4xx++;
    else if (code >= 300) stats.downstream_rq_3xx++;
    else if (code >= 200) stats.downstream_rq_2xx++;
    info.durationMs = since(info);
    this.ctx.requestDone(info);
  }

  // ---- the socket's life --------------------------------------------------------------------

  private readonly onEnd = (): void => {
    // Node's server (httpAllowHalfOpen off): a request still in flight is aborted, and we end too.
    this.closing = true;
    this.buf = undefined;
    if (this.socket.writable) this.socket.end();
  };

  private readonly onClose = (): void => {
    this.destroyed = true;
    if (this.headersTimer !== undefined) clearTimeout(this.headersTimer);
    const info = this.info;
    if (info !== undefined && !this.finished) {
      this.finished = true;
      addFlag(info, 'DC');
      if (!this.headersSent) info.responseCode = 0;
      info.responseCodeDetails ??= 'downstream_remote_disconnect';
      this.logDone(info);
      this.exchange?.onDownstreamGone();
    }
  };

  private readonly onDrain = (): void => {
    this.exchange?.onDownstreamDrain();
  };

  private readonly onTimeout = (): void => {
    // Idle keep-alive only: Node arms the timeout after a response and clears it at the next request.
    if (this.info === undefined) this.socket.destroy();
  };

  private headersTimedOut(): void {
    this.headersTimer = undefined;
    if (this.info !== undefined || this.handedOff) return;
    this.closing = true;
    this.buf = undefined;
    this.proxy.rejectMalformed(Object.assign(new Error('Request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), this.socket);
  }

  /** From here on Node's http server owns the socket, starting with the bytes not yet parsed. */
  private handOff(): void {
    this.handedOff = true;
    const s = this.socket;
    if (this.headersTimer !== undefined) clearTimeout(this.headersTimer);
    s.setTimeout(0);
    s.pause();
    s.off('data', this.onData);
    s.off('end', this.onEnd);
    s.off('close', this.onClose);
    s.off('drain', this.onDrain);
    s.off('timeout', this.onTimeout);
    const rest = this.buf;
    this.buf = undefined;
    this.proxy.attachNode(s, this.conn, rest);
  }
}
