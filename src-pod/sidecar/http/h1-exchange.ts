// The fast path's router for one request: the same attempts, retries and local replies as
// node-exchange.ts, over pooled raw upstream sockets instead of http.request.
import { randomUUID } from 'node:crypto';
import type { ProxyContext } from '../context';
import type { Downstream, HttpConnection } from './http-connection';
import { exhaustedByFailures, NO_HEALTHY_UPSTREAM, RetryBody, retryConnectFailure, retryDelayMs, retryOnStatus, type RetryState } from './route-policy';
import { headerLines, requestHeaderPairs, responseHeaderPairs } from './filter-chain';
import { writeKept } from './http1-headers';
import type { RequestHead, ResponseHead } from './http1-parser';
import { formatAddress } from '../net-util';
import { pickEndpoint, type Cluster, type RouteEntry } from '../routing';
import { countUpstreamRequest, type ClusterStats } from '../stats';
import { addFlag, since, type StreamInfo } from '../stream-info';
import { UpstreamAttempt, type AttemptOwner } from './upstream-attempt';
import { connectFailure, resetBody, resetDetails, resetStatus, terminationFailure, type UpstreamFailure } from '../upstream-errors';

// Envoy's codec frames the body last: chunked when the body streams, `content-length: 0` for a
// headers-only request of a method that may carry a body.
const CHUNKED = 'transfer-encoding: chunked\r\n\r\n';
const EMPTY_BODY = 'content-length: 0\r\n\r\n';

/** Where a finished exchange's stray calls go: a response already gone. */
const DETACHED: Downstream = {
  headersSent: true,
  destroyed: true,
  head: () => undefined,
  body: () => undefined,
  end: () => undefined,
  flush: () => true,
  localReply: () => undefined,
  destroy: () => undefined,
  pauseReading: () => undefined,
  resumeReading: () => undefined,
};

/** One downstream request and its upstream attempts. */
export class H1Exchange implements AttemptOwner {
  private attempt = 0;
  private readonly retryBody = new RetryBody();
  bodyComplete = false;
  /** The attempt the request body streams to as it arrives (the first one). */
  private streamTo: UpstreamAttempt | undefined;
  private waitingForBody: (() => void) | undefined;
  readonly retries: number;
  readonly bind: string | undefined;
  readonly cs: ClusterStats;
  /** The attempt in flight, destroyed when the downstream goes away. */
  private current: UpstreamAttempt | undefined;
  /** The attempt whose response goes downstream. */
  private responding: UpstreamAttempt | undefined;

  constructor(
    readonly ctx: ProxyContext,
    private readonly conn: HttpConnection,
    readonly req: RequestHead,
    public down: Downstream,
    readonly info: StreamInfo,
    private readonly route: RouteEntry,
    private readonly cluster: Cluster,
  ) {
    this.retries = route.retries;
    this.bind = cluster.bind;
    this.cs = ctx.stats.cluster(cluster.name);
    info.cluster = cluster.name;
    info.service = cluster.service;
  }

  /** The first attempt; its head goes out with the body bytes already read, on `flushUpstream`. */
  start(): void {
    this.send(false, true);
  }

  /** Request body bytes (decoded), as `req.on('data')`. */
  onBody(chunk: Buffer): void {
    this.info.bytesReceived += chunk.length;
    this.retryBody.add(chunk);
    this.streamTo?.writeBody(chunk);
  }

  onBodyEnd(): void {
    this.bodyComplete = true;
    this.streamTo?.endBody();
    const wait = this.waitingForBody;
    this.waitingForBody = undefined;
    wait?.();
  }

  /** After a batch of body bytes: one upstream write for all of them. */
  flushUpstream(): void {
    this.streamTo?.flush();
  }

  /**
   * The request is over (response sent, body read): whatever an attempt still does (a retry timer,
   * a late response after a timeout) must not reach the connection's next request.
   */
  detach(): void {
    this.down = DETACHED;
    this.waitingForBody = undefined;
  }

  onDownstreamGone(): void {
    this.current?.abandon();
  }

  onDownstreamDrain(): void {
    this.responding?.resumeResponse();
  }

  private retryState(): RetryState {
    return { attempt: this.attempt, retries: this.retries, bodyComplete: this.bodyComplete, bufferOverflow: this.retryBody.overflow, downstreamGone: this.down.destroyed };
  }

  /**
   * The upstream request head for this attempt as Envoy's codec writes it: the request line,
   * `host` (the :authority pseudo-header, first in the map), the client's headers lowercased minus
   * hop-by-hop and owned ones, the added ones (filter-chain.ts), then the codec's framing.
   */
  private requestHead(): Buffer {
    const { req, info } = this;
    let extra = headerLines(requestHeaderPairs(this.conn.headers, {
      hasForwardedProto: req.hasForwardedProto,
      hasRequestId: req.requestId !== undefined,
      requestId: info.requestId ?? randomUUID(),
      attempt: this.attempt,
      ...(this.route.decorator !== undefined ? { decorator: this.route.decorator } : {}),
    }));
    if (req.chunked) extra += CHUNKED;
    else if (req.zeroLength) extra += EMPTY_BODY;
    else extra += '\r\n';
    const host = `host: ${req.host ?? ''}\r\n`;
    const lineBytes = req.lineEnd + 11;
    const out = Buffer.allocUnsafe(lineBytes + host.length + req.keptBytes + Buffer.byteLength(extra, 'latin1'));
    req.buf.copy(out, 0, 0, lineBytes);
    let o = lineBytes + out.write(host, lineBytes, 'latin1');
    o = writeKept(req, out, o);
    o += out.write(extra, o, 'latin1');
    return o === out.length ? out : out.subarray(0, o);
  }

  private send(reusedRetry: boolean, deferFlush = false): void {
    const { ctx, info, cluster, cs } = this;
    if (!reusedRetry) this.attempt++;
    info.attempts = this.attempt;
    const ep = pickEndpoint(cluster, this.conn.dst);
    if (!ep) {
      addFlag(info, 'UH');
      cs.upstream_cx_none_healthy++;
      info.responseCodeDetails = NO_HEALTHY_UPSTREAM.details;
      this.down.localReply(NO_HEALTHY_UPSTREAM.code, NO_HEALTHY_UPSTREAM.body);
      return;
    }
    const host = formatAddress(ep.address, ep.port);
    info.upstreamHost = host;
    const hs = countUpstreamRequest(cs, host);
    const a = new UpstreamAttempt(this, hs, host, reusedRetry);
    a.connect(ep.address, ep.port, ctx.table?.config.mesh.connectTimeoutMs ?? 10_000);
    const routeTimeout = this.route.timeoutMs;
    if (routeTimeout > 0) a.startTimer(routeTimeout);
    a.writeHead(this.requestHead(), this.req.chunked);
    this.current = a;
    this.streamTo = a;
    if (this.attempt > 1 || reusedRetry) {
      for (const chunk of this.retryBody.chunks) a.writeBody(chunk);
      this.streamTo = undefined;
      a.endBody();
    } else if (this.bodyComplete) a.endBody();
    if (!deferFlush) a.flush();
  }

  private whenBodyReady(fn: () => void): void {
    if (this.bodyComplete) fn();
    else this.waitingForBody = fn;
  }

  private retry(): void {
    this.cs.upstream_rq_retry++;
    this.streamTo = undefined;
    setTimeout(() => this.whenBodyReady(() => (this.down.destroyed ? undefined : this.send(false))), retryDelayMs(this.attempt));
  }

  /** The route timeout fired before a response. */
  onTimeout(a: UpstreamAttempt): void {
    const { info } = this;
    addFlag(info, 'UT');
    this.cs.upstream_rq_timeout++;
    a.hs.rq_timeout++;
    info.responseCodeDetails = 'response_timeout';
    a.abandon();
    this.down.localReply(504, 'upstream request timeout');
  }

  /** An attempt failed before its response: Node's `req.on('error')` in node-exchange.ts. */
  onAttemptError(a: UpstreamAttempt, err: NodeJS.ErrnoException): boolean {
    const { info, ctx } = this;
    // A pooled connection the upstream had just closed: try again on a fresh one, not an attempt.
    if (a.reused && !a.reusedRetry && (err.code === 'ECONNRESET' || err.message === 'socket hang up')) {
      this.streamTo = undefined;
      this.whenBodyReady(() => this.send(true));
      return false;
    }
    if (!a.connected) {
      this.cs.upstream_cx_connect_fail++;
      a.hs.cx_connect_fail++;
      const f = connectFailure(err);
      ctx.log.debug('router', () => `[C${info.connectionId}] upstream ${a.host} connect failed: ${err.message}`);
      if (retryConnectFailure(this.retryState())) {
        this.retry();
        return true;
      }
      addFlag(info, 'UF');
      this.fail(f);
      return true;
    }
    const t = terminationFailure(err);
    addFlag(info, t.flag);
    this.fail(t.failure);
    return true;
  }

  /** Response headers of an attempt; false: read and drop its body (a 503 about to be retried). */
  onResponseHead(a: UpstreamAttempt, h: ResponseHead): boolean {
    const { cs, info } = this;
    const code = h.status;
    cs.response(code);
    if (code >= 500) a.hs.rq_error++;
    else a.hs.rq_success++;
    // Istio's default policy retries a 503 (retriable-status-codes) like a connect failure.
    const decision = retryOnStatus(code, this.retryState());
    if (decision === 'retry') {
      this.retry();
      return false;
    }
    if (decision === 'exhausted') {
      addFlag(info, 'URX');
      cs.upstream_rq_retry_limit_exceeded++;
    }
    const now = performance.now();
    info.firstUpstreamByteMs = since(info);
    info.upstreamServiceTimeMs = now - a.sentAt;
    info.responseCode = code;
    info.responseCodeDetails = 'via_upstream';
    this.responding = a;
    const appended = responseHeaderPairs(this.conn.headers, {
      serviceTimeMs: Math.floor(now - a.sentAt),
      peerReceived: this.req.peerReceived,
      ...(this.route.decorator !== undefined ? { decorator: this.route.decorator } : {}),
      hasDate: h.hasDate,
      hasServer: h.firstAt !== -1,
    });
    this.down.head(h, appended, this.req.method === 'HEAD' || code === 204 || code === 304);
    return true;
  }

  /** The upstream went away mid-body (`upRes.on('aborted')`), or sent a body it cannot frame (UPE). */
  onAborted(flag: 'UC' | 'UPE'): void {
    addFlag(this.info, flag);
    this.down.destroy();
  }

  private fail(f: UpstreamFailure): void {
    const { info } = this;
    const retried = this.attempt > 1;
    if (exhaustedByFailures(this.retryState(), info.flags)) {
      addFlag(info, 'URX');
      this.cs.upstream_rq_retry_limit_exceeded++;
    }
    info.responseCodeDetails = resetDetails(f);
    if (f.transport !== undefined) info.upstreamTransportFailureReason = f.transport;
    this.down.localReply(resetStatus(f), resetBody(f, retried));
  }
}
