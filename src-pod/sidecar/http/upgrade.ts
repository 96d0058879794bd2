// HTTP Upgrade (WebSocket) requests: Envoy's upgrade_configs, i.e. forward the head, then pipe bytes.
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import { connect, type Socket, type TcpNetConnectOpts } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { ProxyContext } from '../context';
import type { ConnectionManager, HttpConnection } from './http-connection';
import { formatAddress, plainIp } from '../net-util';
import { routeTarget } from './route-policy';
import { pickEndpoint, type RouteEntry } from '../routing';
import { addFlag, since } from '../stream-info';
import { connectFailure } from '../upstream-errors';

/** Proxies one Upgrade request: logged as one request whose duration is the tunnel's life. */
export function proxyUpgrade(
  ctx: ProxyContext,
  conn: HttpConnection,
  req: IncomingMessage,
  down: Socket,
  head: Buffer,
  route: RouteEntry | undefined,
  cm: Pick<ConnectionManager, 'newInfo'>,
): void {
  // One StreamInfo shape for every request of the connection manager, tunnels included.
  const info = cm.newInfo(conn);
  info.method = req.method;
  info.path = req.url;
  info.protocol = `HTTP/${req.httpVersion}`;
  info.authority = req.headers.host;
  info.userAgent = req.headers['user-agent'];
  const id = req.headers['x-request-id'];
  info.requestId = typeof id === 'string' ? id : randomUUID();
  info.routeName = route?.name;
  const target = routeTarget(route);
  const cluster = 'cluster' in target ? target.cluster : undefined;
  const ep = cluster ? pickEndpoint(cluster, conn.dst) : undefined;
  const reply = (code: number, text: string): void => {
    info.responseCode = code;
    down.end(`HTTP/1.1 ${code} ${text}\r\ncontent-length: 0\r\nserver: ${conn.headers.server}\r\nconnection: close\r\n\r\n`);
    ctx.requestDone(info);
  };
  if (!cluster) {
    const r = 'reply' in target ? target.reply : undefined;
    info.responseCodeDetails = r?.details;
    if (r?.flag) addFlag(info, r.flag);
    return reply(r?.code ?? 502, STATUS_CODES[r?.code ?? 502] ?? '');
  }
  info.cluster = cluster.name;
  info.service = cluster.service;
  if (!ep) {
    addFlag(info, 'UH');
    return reply(503, 'Service Unavailable');
  }
  info.upstreamHost = formatAddress(ep.address, ep.port);
  const connectOpts: TcpNetConnectOpts = { host: ep.address, port: ep.port, noDelay: true };
  if (cluster.bind !== undefined) connectOpts.localAddress = cluster.bind;
  const up = connect(connectOpts);
  // A tunnel carries small interactive frames (WebSocket): no Nagle on either side.
  up.setNoDelay(true);
  down.setNoDelay(true);
  let connected = false;
  up.once('connect', () => {
    connected = true;
    info.upstreamConnectMs = since(info);
    info.upstreamLocal = formatAddress(plainIp(up.localAddress ?? ''), up.localPort ?? 0);
    const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    if (id === undefined) lines.push(`x-request-id: ${info.requestId}`);
    up.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length > 0) up.write(head);
    up.pipe(down);
    down.pipe(up);
  });
  up.once('data', (chunk: Buffer) => {
    info.firstUpstreamByteMs = since(info);
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(chunk.toString('latin1', 0, 16));
    info.responseCode = m ? Number(m[1]) : 0;
    info.responseCodeDetails = 'via_upstream';
  });
  up.on('data', (chunk: Buffer) => (info.bytesSent += chunk.length));
  down.on('data', (chunk: Buffer) => (info.bytesReceived += chunk.length));
  up.on('error', (err: NodeJS.ErrnoException) => {
    if (!connected) {
      addFlag(info, 'UF');
      info.upstreamTransportFailureReason = connectFailure(err).transport;
      reply(503, 'Service Unavailable');
      return;
    }
    down.destroy();
  });
  down.on('error', () => up.destroy());
  let closes = 0;
  const closed = (): void => {
    if (++closes === 2 && connected) ctx.requestDone(info);
  };
  up.once('close', closed);
  down.once('close', closed);
}
