// The TCP proxy filter: one upstream connection per downstream one, piped both ways, half-close aware.
import { connect, type Socket, type TcpNetConnectOpts } from 'node:net';
import type { ProxyContext } from '../context';
import { closeUnread, formatAddress, plainIp } from '../net-util';
import { pickEndpoint, type Address, type Cluster } from '../routing';
import { addFlag, since, type StreamInfo } from '../stream-info';
import { connectFailure, connectTimeoutError } from '../upstream-errors';

export interface TcpProxyOptions {
  cluster: Cluster;
  /** The original destination (for ORIGINAL_DST clusters). */
  dst: Address;
  /** Bytes already read from the downstream (protocol sniffing). */
  head?: Buffer;
}

/** Proxies `down` to an endpoint of `opts.cluster`; `info` is finished when both sides are closed. */
export function proxyTcp(ctx: ProxyContext, down: Socket, info: StreamInfo, opts: TcpProxyOptions): void {
  const { cluster } = opts;
  const cs = ctx.stats.cluster(cluster.name);
  info.cluster = cluster.name;
  info.service = cluster.service;
  ctx.metrics.recordTcpOpen(info);
  const head = opts.head;
  if (head) info.bytesReceived += head.length;

  let closedDown = false;
  let closedUp = true;
  const done = (): void => {
    if (!closedDown || !closedUp) return;
    info.durationMs = since(info);
    ctx.connectionClosed(info);
  };
  down.once('close', () => {
    closedDown = true;
    done();
  });

  const ep = pickEndpoint(cluster, opts.dst);
  if (!ep) {
    // BlackHoleCluster and clusters without endpoints: Envoy closes at once with UH.
    addFlag(info, 'UH');
    cs.upstream_cx_none_healthy++;
    closeUnread(down, head);
    return;
  }
  const host = formatAddress(ep.address, ep.port);
  info.upstreamHost = host;
  const hs = cs.host(host);
  cs.upstream_cx_total++;
  cs.upstream_cx_active++;
  hs.cx_total++;
  hs.cx_active++;
  closedUp = false;

  const connectOpts: TcpNetConnectOpts = { host: ep.address, port: ep.port, allowHalfOpen: true, noDelay: true };
  if (cluster.bind !== undefined) connectOpts.localAddress = cluster.bind;
  const up = connect(connectOpts);
  up.setNoDelay(true);
  down.setNoDelay(true);
  const connectTimeout = ctx.table?.config.mesh.connectTimeoutMs ?? 10_000;
  const timer = setTimeout(() => up.destroy(connectTimeoutError()), connectTimeout);
  let connected = false;

  up.once('connect', () => {
    clearTimeout(timer);
    connected = true;
    info.upstreamConnectMs = since(info);
    info.upstreamLocal = formatAddress(plainIp(up.localAddress ?? ''), up.localPort ?? 0);
    ctx.log.debug('tcp', () => `[C${info.connectionId}] connected to ${host} for ${cluster.name}`);
  });
  up.on('data', (chunk: Buffer) => {
    if (info.firstUpstreamByteMs === undefined) info.firstUpstreamByteMs = since(info);
    info.bytesSent += chunk.length;
    cs.upstream_cx_rx_bytes_total += chunk.length;
  });
  down.on('data', (chunk: Buffer) => {
    info.bytesReceived += chunk.length;
    cs.upstream_cx_tx_bytes_total += chunk.length;
  });
  up.on('error', (err: NodeJS.ErrnoException) => {
    clearTimeout(timer);
    if (!connected) {
      // One connect attempt (max_connect_attempts 1): UF, then URX for the attempts used up.
      const f = connectFailure(err);
      addFlag(info, 'UF');
      addFlag(info, 'URX');
      if (f.transport !== undefined) info.upstreamTransportFailureReason = f.transport;
      cs.upstream_cx_connect_fail++;
      cs.upstream_cx_connect_attempts_exceeded++;
      hs.cx_connect_fail++;
      ctx.log.debug('tcp', () => `[C${info.connectionId}] connect to ${host} failed: ${err.message}`);
      // Envoy had not read the client's bytes yet: they are still unread when it closes.
      closeUnread(down, head);
      return;
    }
    down.destroy();
  });
  down.on('error', () => up.destroy());
  // Nothing can reach a downstream that is gone: the upstream goes too.
  down.once('close', () => up.destroy());
  up.once('close', () => {
    clearTimeout(timer);
    cs.upstream_cx_active--;
    cs.upstream_cx_destroy++;
    hs.cx_active--;
    closedUp = true;
    // An upstream gone for good takes the downstream with it once its data is flushed.
    if (!down.destroyed && down.writableEnded === false && !connected) down.destroy();
    done();
  });
  if (head && head.length > 0) up.write(head);
  down.pipe(up);
  up.pipe(down);
}
