// The accept path shared by virtualOutbound and virtualInbound: original dst -> chain -> TCP or HTTP.
import { createServer, type Server, type Socket } from 'node:net';
import type { ProxyContext } from './context';
import { INBOUND_SOURCE_ADDRESS } from './context';
import { HttpProxy } from './http-proxy';
import { formatAddress, isLoopback, plainIp } from './net-util';
import { matchInbound, matchOutbound, type Address, type ListenerMatch, type RouteTable } from './routing';
import { sniff } from './sniff';
import { newStreamInfo, type StreamInfo } from './stream-info';
import { proxyTcp, type TcpProxyOptions } from './tcp-proxy';

/** Where a redirected connection was going; thin wrapper over SO_ORIGINAL_DST in production. */
export type OriginalDstResolver = (socket: Socket) => Address | undefined;

export interface ListenerOptions {
  direction: 'outbound' | 'inbound';
  port: number;
  /** Bind addresses; default `0.0.0.0` and, when the host has IPv6, `::` (IPv6 only). */
  hosts?: string[];
  resolveDst: OriginalDstResolver;
  /** TPROXY: set IP_TRANSPARENT on each listening socket once bound. */
  makeTransparent?: (server: Server) => void;
}

// Codes that mean "no IPv6 here"; the IPv4 listener is enough then.
const NO_IPV6 = new Set(['EAFNOSUPPORT', 'EADDRNOTAVAIL', 'EINVAL', 'EPROTONOSUPPORT']);

export class Listener {
  readonly name: string;
  private readonly servers: Server[] = [];
  private readonly http: HttpProxy;
  private boundPort = 0;

  constructor(
    private readonly ctx: ProxyContext,
    private readonly opts: ListenerOptions,
  ) {
    this.name = opts.direction === 'outbound' ? 'virtualOutbound' : 'virtualInbound';
    this.http = new HttpProxy(ctx);
  }

  /** The port actually bound (port 0 resolves to the one the kernel picked). */
  get port(): number {
    return this.boundPort;
  }

  get statName(): string {
    return `0.0.0.0_${this.boundPort}`;
  }

  async start(): Promise<void> {
    const explicit = this.opts.hosts;
    const hosts = explicit ?? ['0.0.0.0', '::'];
    let port = this.opts.port;
    for (const host of hosts) {
      const server = createServer({ allowHalfOpen: true, pauseOnConnect: false }, (s) => this.accept(s));
      try {
        port = await listen(server, port, host);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (explicit === undefined && host === '::' && code !== undefined && NO_IPV6.has(code)) continue;
        throw err;
      }
      this.opts.makeTransparent?.(server);
      this.servers.push(server);
    }
    this.boundPort = port;
  }

  /** Stops accepting at once; open connections go on (draining) and are not waited for. */
  stop(): Promise<void> {
    for (const s of this.servers) s.close();
    this.servers.length = 0;
    return Promise.resolve();
  }

  private isSelf(dst: Address, socket: Socket, table: RouteTable): boolean {
    if (dst.port !== this.boundPort) return false;
    const local = plainIp(socket.localAddress ?? '');
    return isLoopback(dst.address) || dst.address === local || dst.address === table.config.pod.ip;
  }

  private accept(socket: Socket): void {
    const { ctx } = this;
    ctx.downstreams.add(socket);
    // Errors are handled by whoever takes the socket; this keeps an early reset from throwing.
    socket.on('error', () => undefined);
    const ls = ctx.stats.listener(this.statName);
    ls.downstream_cx_total++;
    ls.downstream_cx_active++;
    socket.once('close', () => {
      ctx.downstreams.delete(socket);
      ls.downstream_cx_active--;
      ls.downstream_cx_destroy++;
    });
    const table = ctx.table;
    if (!table) {
      // No config yet: Envoy would not have this listener at all.
      socket.destroy();
      return;
    }
    const listenerAddress = formatAddress(plainIp(socket.localAddress ?? ''), socket.localPort ?? 0);
    let dst: Address | undefined;
    try {
      dst = this.opts.resolveDst(socket);
    } catch (err) {
      ctx.log.error('listener', `${this.name}: original destination: ${(err as Error).message}`);
    }
    const outbound = this.opts.direction === 'outbound';
    let match: ListenerMatch;
    if (dst === undefined || this.isSelf(dst, socket, table)) {
      // Istio's `virtualOutbound-blackhole` / `virtualInbound-blackhole`: never loop into ourselves.
      dst ??= { address: plainIp(socket.localAddress ?? ''), port: socket.localPort ?? 0 };
      match = { filterChain: `${this.name}-blackhole`, handling: 'tcp', protocol: 'TCP', cluster: table.blackhole };
    } else {
      match = outbound ? matchOutbound(table, dst) : matchInbound(table, dst);
    }
    const target = dst;
    const info = newStreamInfo({
      kind: match.handling === 'http' ? 'http' : 'tcp',
      direction: this.opts.direction,
      listener: this.name,
      filterChain: match.filterChain,
      connectionId: ctx.nextConnectionId(),
      downstreamRemote: formatAddress(plainIp(socket.remoteAddress ?? ''), socket.remotePort ?? 0),
      downstreamLocal: formatAddress(target.address, target.port),
      listenerAddress,
    });
    info.cluster = match.cluster.name;
    ctx.connectionOpened(info, match.handling === 'auto');
    ctx.log.debug('conn_handler', () => `[C${info.connectionId}] ${this.name} ${info.downstreamRemote} -> ${info.downstreamLocal} chain ${match.filterChain}`);

    if (match.handling === 'http') {
      this.toHttp(socket, info, match, target);
      return;
    }
    if (match.handling === 'tcp') {
      this.toTcp(socket, info, match, target);
      return;
    }
    void sniff(socket, table.config.mesh.protocolDetectionTimeoutMs).then((r) => {
      if (r.closed && r.head.length === 0) {
        ctx.connectionClosed(info);
        socket.destroy();
        return;
      }
      ctx.log.debug('conn_handler', () => `[C${info.connectionId}] detected ${r.protocol}${r.timedOut ? ' (detection timeout)' : ''}`);
      if (r.protocol === 'http1') {
        info.kind = 'http';
        this.toHttp(socket, info, match, target, r.head);
      } else {
        this.toTcp(socket, info, match, target, r.head);
      }
    });
  }

  private toTcp(socket: Socket, info: StreamInfo, match: ListenerMatch, dst: Address, head?: Buffer): void {
    const opts: TcpProxyOptions = { cluster: match.cluster, dst };
    if (head) opts.head = head;
    if (this.opts.direction === 'inbound') opts.localAddress = INBOUND_SOURCE_ADDRESS;
    proxyTcp(this.ctx, socket, info, opts);
  }

  private toHttp(socket: Socket, info: StreamInfo, match: ListenerMatch, dst: Address, head?: Buffer): void {
    const { ctx } = this;
    socket.setNoDelay(true);
    socket.once('close', () => {
      info.bytesReceived = socket.bytesRead;
      info.bytesSent = socket.bytesWritten;
      ctx.connectionClosed(info);
    });
    this.http.attach(
      socket,
      {
        direction: this.opts.direction,
        listener: this.name,
        match,
        dst,
        connectionId: info.connectionId,
        downstreamRemote: info.downstreamRemote,
        downstreamLocal: info.downstreamLocal,
        listenerAddress: info.listenerAddress,
        stats: ctx.stats.httpPrefix(`${this.opts.direction}_${match.filterChain}`),
      },
      head,
    );
  }
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ port, host, ipv6Only: host.includes(':') }, () => {
      server.off('error', onError);
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : port);
    });
  });
}
