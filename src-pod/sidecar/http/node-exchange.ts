// One downstream HTTP request and its upstream attempts through Node's http client (the path beside h1-exchange.ts): retries, local replies.
import { randomUUID } from 'node:crypto';
import { request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ProxyContext } from '../context';
import type { HttpConnection } from './http-connection';
import { exhaustedByFailures, NO_HEALTHY_UPSTREAM, RetryBody, retryConnectFailure, retryDelayMs, retryOnStatus, type RetryState } from './route-policy';
import { OWNED_REQUEST_HEADERS, OWNED_RESPONSE_HEADERS, requestHeaderPairs, responseHeaderPairs } from './filter-chain';
import { PEER_ID_RECEIVED, PEER_METADATA, PEER_METADATA_ID, PEER_RECEIVED } from './header-policy';
import { reasonPhrase } from './response-heads';
import { formatAddress, plainIp } from '../net-util';
import { pickEndpoint, type Cluster, type RouteEntry } from '../routing';
import { countUpstreamRequest } from '../stats';
import { addFlag, since, type StreamInfo } from '../stream-info';
import {
  connectFailure,
  connectTimeoutError,
  resetBody,
  resetDetails,
  resetStatus,
  terminationFailure,
  type UpstreamFailure,
} from '../upstream-errors';

// Hop-by-hop headers (RFC 9110 7.6.1) never cross the proxy; Node sets its own framing.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'upgrade', 'trailer', 'http2-settings']);
/** Writes an Envoy local reply (text/plain, the HCM's server name). */
export function localReply(res: ServerResponse, info: StreamInfo, code: number, body: string, server: string): void {
  info.responseCode = code;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const bytes = Buffer.byteLength(body);
  info.bytesSent = bytes;
  // Envoy's order (response-heads.ts localReplyMessage): the codec's content-length: 0 comes last.
  const date = new Date().toUTCString();
  res.writeHead(code, bytes > 0 ? ['content-length', String(bytes), 'content-type', 'text/plain', 'date', date, 'server', server] : ['date', date, 'server', server, 'content-length', '0']);
  res.end(body);
}

/**
 * Copies raw headers minus hop-by-hop and `skip` ones, in order, names lowercased as Envoy's codec
 * writes them; `first` (`host` of a request, `server` of a response) goes where Envoy's map holds
 * it: host first, server where the upstream's first stood (`value`) or not at all. Then `extra`.
 */
function forwardHeaders(raw: string[], skip: ReadonlySet<string>, extra: readonly string[], first: { name: string; value: string | undefined; atFront: boolean }): string[] {
  const out: string[] = [];
  if (first.atFront && first.value !== undefined) out.push(first.name, first.value);
  let seen = first.atFront;
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i].toLowerCase();
    if (HOP_BY_HOP.has(lower) || skip.has(lower)) continue;
    if (lower === first.name) {
      if (!seen && first.value !== undefined) out.push(lower, first.value);
      seen = true;
      continue;
    }
    out.push(lower, raw[i + 1]);
  }
  for (const v of extra) out.push(v);
  return out;
}

// Headers the connection manager and the filters own (the decorator, the router's attempt count,
// the metadata exchange's) are theirs to write.
const REQUEST_SKIP = new Set<string>(OWNED_REQUEST_HEADERS);
// Node frames the response itself (chunked when there is no content-length).
const RESPONSE_SKIP = new Set<string>([...OWNED_RESPONSE_HEADERS, 'transfer-encoding']);

/** One downstream request and its upstream attempts. */
export class Exchange {
  private attempt = 0;
  private readonly retryBody = new RetryBody();
  private bodyComplete = false;
  private streamTo: ClientRequest | undefined;
  private waitingForBody: (() => void) | undefined;
  private readonly retries: number;
  private readonly bind: string | undefined;
  /** The upstream request in flight, aborted when the downstream goes away. */
  private current: ClientRequest | undefined;

  constructor(
    private readonly ctx: ProxyContext,
    private readonly conn: HttpConnection,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly info: StreamInfo,
    private readonly route: RouteEntry,
    private readonly cluster: Cluster,
  ) {
    this.retries = route.retries;
    this.bind = cluster.bind;
    info.cluster = cluster.name;
    info.service = cluster.service;
  }

  start(): void {
    const { req } = this;
    this.res.once('close', () => {
      if (!this.res.writableFinished) this.current?.destroy();
    });
    req.on('data', (chunk: Buffer) => {
      this.info.bytesReceived += chunk.length;
      this.retryBody.add(chunk);
      const up = this.streamTo;
      if (up && !up.write(chunk)) {
        req.pause();
        up.once('drain', () => req.resume());
      }
    });
    req.once('end', () => {
      this.bodyComplete = true;
      this.streamTo?.end();
      const wait = this.waitingForBody;
      this.waitingForBody = undefined;
      wait?.();
    });
    this.send();
  }

  private retryState(): RetryState {
    return { attempt: this.attempt, retries: this.retries, bodyComplete: this.bodyComplete, bufferOverflow: this.retryBody.overflow, downstreamGone: this.res.destroyed };
  }

  private send(reusedRetry = false): void {
    const { ctx, info, cluster } = this;
    if (!reusedRetry) this.attempt++;
    info.attempts = this.attempt;
    const cs = ctx.stats.cluster(cluster.name);
    const ep = pickEndpoint(cluster, this.conn.dst);
    if (!ep) {
      addFlag(info, 'UH');
      cs.upstream_cx_none_healthy++;
      info.responseCodeDetails = NO_HEALTHY_UPSTREAM.details;
      localReply(this.res, info, NO_HEALTHY_UPSTREAM.code, NO_HEALTHY_UPSTREAM.body, this.conn.headers.server);
      this.req.resume();
      return;
    }
    const host = formatAddress(ep.address, ep.port);
    info.upstreamHost = host;
    const hs = countUpstreamRequest(cs, host);
    const extra = requestHeaderPairs(this.conn.headers, {
      hasForwardedProto: this.req.headers['x-forwarded-proto'] !== undefined,
      hasRequestId: this.req.headers['x-request-id'] !== undefined,
      requestId: info.requestId ?? randomUUID(),
      attempt: this.attempt,
      ...(this.route.decorator !== undefined ? { decorator: this.route.decorator } : {}),
    });
    const headers = forwardHeaders(this.req.rawHeaders, REQUEST_SKIP, extra, { name: 'host', value: this.req.headers.host, atFront: true });
    const sentAt = performance.now();
    const options: RequestOptions = {
      host: ep.address,
      port: ep.port,
      method: this.req.method,
      path: this.req.url,
      headers,
      setHost: false,
      agent: ctx.agent,
    };
    if (this.bind !== undefined) options.localAddress = this.bind;
    const up = httpRequest(options);
    let connected = false;
    let responded = false;
    let active = true;
    const settle = (): void => {
      if (!active) return;
      active = false;
      cs.upstream_rq_active--;
      hs.rq_active--;
    };
    let timer: NodeJS.Timeout | undefined;
    const routeTimeout = this.route.timeoutMs;
    if (routeTimeout > 0) {
      timer = setTimeout(() => {
        if (responded) return;
        responded = true;
        settle();
        addFlag(info, 'UT');
        cs.upstream_rq_timeout++;
        hs.rq_timeout++;
        info.responseCodeDetails = 'response_timeout';
        up.destroy();
        localReply(this.res, info, 504, 'upstream request timeout', this.conn.headers.server);
      }, routeTimeout);
    }
    up.on('socket', (s: Socket) => {
      if (!s.connecting) {
        connected = true;
        info.upstreamLocal = formatAddress(plainIp(s.localAddress ?? ''), s.localPort ?? 0);
        return;
      }
      cs.upstream_cx_total++;
      hs.cx_total++;
      // The agent asks for it too; without it a small write can wait ~40 ms on a delayed ACK.
      s.setNoDelay(true);
      const connectTimer = setTimeout(() => s.destroy(connectTimeoutError()), ctx.table?.config.mesh.connectTimeoutMs ?? 10_000);
      s.once('connect', () => {
        clearTimeout(connectTimer);
        connected = true;
        info.upstreamConnectMs = since(info);
        info.upstreamLocal = formatAddress(plainIp(s.localAddress ?? ''), s.localPort ?? 0);
        cs.upstream_cx_active++;
        hs.cx_active++;
        s.once('close', () => {
          cs.upstream_cx_active--;
          hs.cx_active--;
          cs.upstream_cx_destroy++;
        });
      });
      s.once('close', () => clearTimeout(connectTimer));
    });
    up.on('response', (upRes: IncomingMessage) => {
      if (responded) {
        upRes.resume();
        return;
      }
      responded = true;
      if (timer) clearTimeout(timer);
      settle();
      const code = upRes.statusCode ?? 502;
      cs.response(code);
      if (code >= 500) hs.rq_error++;
      else hs.rq_success++;
      // Istio's default policy retries a 503 (retriable-status-codes) like a connect failure.
      const decision = retryOnStatus(code, this.retryState());
      if (decision === 'retry') {
        upRes.resume();
        this.retry();
        return;
      }
      if (decision === 'exhausted') {
        addFlag(info, 'URX');
        cs.upstream_rq_retry_limit_exceeded++;
      }
      this.respond(upRes, sentAt);
    });
    up.on('error', (err: NodeJS.ErrnoException) => {
      if (responded) return;
      settle();
      // A pooled connection the upstream had just closed: try again on a fresh one, not an attempt.
      if (up.reusedSocket && !reusedRetry && (err.code === 'ECONNRESET' || err.message === 'socket hang up')) {
        this.streamTo = undefined;
        this.whenBodyReady(() => this.send(true));
        return;
      }
      responded = true;
      if (timer) clearTimeout(timer);
      if (!connected) {
        cs.upstream_cx_connect_fail++;
        hs.cx_connect_fail++;
        const f = connectFailure(err);
        ctx.log.debug('router', () => `[C${info.connectionId}] upstream ${host} connect failed: ${err.message}`);
        if (retryConnectFailure(this.retryState())) {
          this.retry();
          return;
        }
        addFlag(info, 'UF');
        this.fail(f);
        return;
      }
      const t = terminationFailure(err);
      addFlag(info, t.flag);
      this.fail(t.failure);
    });
    this.current = up;
    this.streamTo = up;
    if (this.attempt > 1 || reusedRetry) {
      for (const chunk of this.retryBody.chunks) up.write(chunk);
      this.streamTo = undefined;
      up.end();
    } else if (this.bodyComplete) up.end();
  }

  private whenBodyReady(fn: () => void): void {
    if (this.bodyComplete) fn();
    else this.waitingForBody = fn;
  }

  private retry(): void {
    const cs = this.ctx.stats.cluster(this.cluster.name);
    cs.upstream_rq_retry++;
    this.streamTo = undefined;
    setTimeout(() => this.whenBodyReady(() => (this.res.destroyed ? undefined : this.send())), retryDelayMs(this.attempt));
  }

  private fail(f: UpstreamFailure): void {
    const { info } = this;
    const retried = this.attempt > 1;
    if (exhaustedByFailures(this.retryState(), info.flags)) {
      addFlag(info, 'URX');
      this.ctx.stats.cluster(this.cluster.name).upstream_rq_retry_limit_exceeded++;
    }
    info.responseCodeDetails = resetDetails(f);
    if (f.transport !== undefined) info.upstreamTransportFailureReason = f.transport;
    localReply(this.res, info, resetStatus(f), resetBody(f, retried), this.conn.headers.server);
    this.req.resume();
  }

  private respond(upRes: IncomingMessage, sentAt: number): void {
    const { info, res } = this;
    const now = performance.now();
    info.firstUpstreamByteMs = since(info);
    info.upstreamServiceTimeMs = now - sentAt;
    info.responseCode = upRes.statusCode ?? 502;
    info.responseCodeDetails = 'via_upstream';
    const h = this.req.headers;
    const extra = responseHeaderPairs(this.conn.headers, {
      serviceTimeMs: Math.floor(now - sentAt),
      peerReceived: (h[PEER_METADATA_ID] !== undefined ? PEER_ID_RECEIVED : 0) | (h[PEER_METADATA] !== undefined ? PEER_RECEIVED : 0),
      ...(this.route.decorator !== undefined ? { decorator: this.route.decorator } : {}),
      hasDate: upRes.headers.date !== undefined,
      hasServer: upRes.headers.server !== undefined,
    });
    const headers = forwardHeaders(upRes.rawHeaders, RESPONSE_SKIP, extra, { name: 'server', value: this.conn.headers.server, atFront: false });
    res.sendDate = false;
    res.writeHead(info.responseCode, reasonPhrase(info.responseCode), headers);
    upRes.on('data', (chunk: Buffer) => {
      info.bytesSent += chunk.length;
      if (!res.write(chunk)) {
        upRes.pause();
        res.once('drain', () => upRes.resume());
      }
    });
    upRes.once('end', () => res.end());
    upRes.once('aborted', () => {
      addFlag(info, 'UC');
      res.destroy();
    });
  }
}
