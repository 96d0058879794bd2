// The HTTP connection manager + router: per-request routing, pooled upstreams, retries, Envoy headers.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ProxyContext } from '../context';
import { Http1Connection } from './h1-connection';
import { Exchange, localReply } from './node-exchange';
import type { ConnectionManager, HttpConnection } from './http-connection';
import { routeTarget } from './route-policy';
import { findRoute, type RouteEntry } from '../routing';
import { addFlag, newStreamInfo, since, type StreamInfo } from '../stream-info';
import { proxyUpgrade } from './upgrade';

const kConn = Symbol('sidecar.httpConnection');
type WithConn = Socket & { [kConn]?: HttpConnection };


/** Builds the router; one instance per listener direction, fed sockets by `attach`. */
export class HttpProxy implements ConnectionManager {
  readonly server: Server;

  constructor(private readonly ctx: ProxyContext) {
    // Envoy's HCM: no request timeout, an hour of idle keep-alive.
    this.server = createServer({ requestTimeout: 0, keepAliveTimeout: 3_600_000 }, (req, res) => this.onRequest(req, res));
    this.server.headersTimeout = 60_000;
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => this.onClientError(err, socket));
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      const conn = (socket as WithConn)[kConn];
      if (conn) proxyUpgrade(this.ctx, conn, req, socket, head, this.routeFor(conn, req), this);
      else socket.destroy();
    });
  }

  /**
   * Takes a downstream connection (with any sniffed bytes): plain HTTP/1.1 requests go the fast
   * path (h1-connection.ts), which hands the socket to Node's server for anything else.
   */
  attach(socket: Socket, conn: HttpConnection, head?: Buffer): void {
    (socket as WithConn)[kConn] = conn;
    new Http1Connection(this, this.ctx, socket, conn).start(head);
  }

  /** Hands a downstream connection, and the bytes already read from it, to Node's HTTP parser. */
  attachNode(socket: Socket, conn: HttpConnection, head?: Buffer): void {
    (socket as WithConn)[kConn] = conn;
    if (head && head.length > 0) socket.unshift(head);
    this.server.emit('connection', socket);
    // Sniffing paused the socket; the parser's 'data' listener does not resume it by itself.
    socket.resume();
  }

  /** Envoy answers a malformed request with 400 and flag DPE (Node's clientError, or the fast path's). */
  rejectMalformed(err: NodeJS.ErrnoException, socket: Socket): void {
    this.onClientError(err, socket);
  }

  private onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
    const conn = (socket as WithConn)[kConn];
    if (conn && err.code !== 'ECONNRESET' && err.code !== 'HPE_INVALID_EOF_STATE') {
      // Envoy answers a malformed request with 400 and flag DPE.
      const info = this.newInfo(conn);
      info.protocol = 'HTTP/1.1';
      info.responseCode = 400;
      info.responseCodeDetails = 'http1.codec_error';
      addFlag(info, 'DPE');
      this.ctx.requestDone(info);
      if (socket.writable) {
        socket.end(`HTTP/1.1 400 Bad Request\r\ncontent-length: 11\r\ncontent-type: text/plain\r\nserver: ${conn.headers.server}\r\nconnection: close\r\n\r\nBad Request`);
        return;
      }
    }
    socket.destroy();
  }

  newInfo(conn: HttpConnection): StreamInfo {
    return newStreamInfo({
      kind: 'http',
      direction: conn.direction,
      listener: conn.listener,
      filterChain: conn.chain.name,
      connectionId: conn.connectionId,
      downstreamRemote: conn.downstreamRemote,
      downstreamLocal: conn.downstreamLocal,
      listenerAddress: conn.listenerAddress,
    });
  }

  /** The chain's route for this Host (undefined: no route, Envoy's 404 NR). */
  routeFor(conn: HttpConnection, req: IncomingMessage): RouteEntry | undefined {
    return this.routeForHost(conn, req.headers.host);
  }

  routeForHost(conn: HttpConnection, host: string | undefined): RouteEntry | undefined {
    const routes = conn.chain.routes;
    return routes ? findRoute(routes, host ?? '') : undefined;
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const conn = (req.socket as WithConn)[kConn];
    if (!conn) {
      res.destroy();
      return;
    }
    const ctx = this.ctx;
    const info = this.newInfo(conn);
    const h = req.headers;
    info.method = req.method ?? 'GET';
    const original = h['x-envoy-original-path'];
    info.path = typeof original === 'string' ? original : req.url ?? '/';
    info.protocol = `HTTP/${req.httpVersion}`;
    info.authority = h.host;
    info.userAgent = h['user-agent'];
    info.forwardedFor = typeof h['x-forwarded-for'] === 'string' ? h['x-forwarded-for'] : undefined;
    const existingId = h['x-request-id'];
    info.requestId = typeof existingId === 'string' && existingId !== '' ? existingId : randomUUID();
    conn.stats.downstream_rq_total++;
    conn.stats.downstream_rq_active++;

    const route = this.routeFor(conn, req);
    info.routeName = route?.name;
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      conn.stats.downstream_rq_active--;
      const code = info.responseCode;
      if (code >= 500) conn.stats.downstream_rq_5xx++;
      else if (code >= 400) conn.stats.downstream_rq_4xx++;
      else if (code >= 300) conn.stats.downstream_rq_3xx++;
      else if (code >= 200) conn.stats.downstream_rq_2xx++;
      info.durationMs = since(info);
      ctx.requestDone(info);
    };
    res.once('finish', finish);
    res.once('close', () => {
      if (!res.writableFinished) {
        addFlag(info, 'DC');
        if (!res.headersSent) info.responseCode = 0;
        info.responseCodeDetails ??= 'downstream_remote_disconnect';
      }
      finish();
    });
    if (ctx.draining || (ctx.inboundDraining && conn.direction === 'inbound')) res.shouldKeepAlive = false;

    const target = routeTarget(route);
    if ('reply' in target) {
      // No upstream: no route (NR), block_all's direct response, or a cluster this proxy lacks.
      info.responseCodeDetails = target.reply.details;
      if (target.reply.flag) addFlag(info, target.reply.flag);
      localReply(res, info, target.reply.code, target.reply.body, conn.headers.server);
      req.resume();
      return;
    }
    new Exchange(ctx, conn, req, res, info, route as RouteEntry, target.cluster).start();
  }
}

