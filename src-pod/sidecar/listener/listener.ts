// The accept path of virtualOutbound and virtualInbound: original dst, hand-off, inspectors, filter chain, then TCP or HTTP.
import { createServer, type Server, type Socket } from 'node:net';
import type { ProxyContext } from '../context';
import { headerPolicy } from '../http/header-policy';
import { HttpProxy } from '../http/connection-manager';
import { closeUnread, formatAddress, plainIp } from '../net-util';
import { handOff, inspects, selectChain, type Address, type FilterChain, type ListenerRuntime } from '../routing';
import { sniff } from './sniff';
import { addFlag, newStreamInfo, type StreamInfo } from '../stream-info';
import { proxyTcp, type TcpProxyOptions } from '../tcp/tcp-proxy';

/** Where a redirected connection was going; thin wrapper over SO_ORIGINAL_DST in production. */
export type OriginalDstResolver = (socket: Socket) => Address | undefined;

/** The proxy's own HTTP servers that bootstrap listeners hand connections to (15090, 15021). */
export type LocalServers = Record<'prometheus' | 'health', Server>;

export interface ListenerOptions {
  direction: 'outbound' | 'inbound';
  port: number;
  /** Bind addresses; default `0.0.0.0` and, when the host has IPv6, `::` (IPv6 only). */
  hosts?: string[];
  resolveDst: OriginalDstResolver;
  /** TPROXY: set IP_TRANSPARENT on each listening socket once bound. */
  makeTransparent?: (server: Server) => void;
  local?: LocalServers;
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

  private accept(socket: Socket): void {
    const { ctx } = this;
    ctx.downstreams.add(socket);
    // Errors are handled by whoever takes the socket; this keeps an early reset from throwing.
    socket.on('error', () => undefined);
    socket.once('close', () => ctx.downstreams.delete(socket));
    const table = ctx.table;
    if (!table) {
      // No config yet: Envoy would not have this listener at all.
      socket.destroy();
      return;
    }
    let dst: Address | undefined;
    try {
      dst = this.opts.resolveDst(socket);
    } catch (err) {
      ctx.log.error('listener', `${this.name}: original destination: ${(err as Error).message}`);
    }
    // Without an original destination the connection is for this listener's own address.
    const target = dst ?? { address: plainIp(socket.localAddress ?? ''), port: this.opts.port === 0 ? (socket.localPort ?? 0) : this.opts.port };
    const listener = this.opts.direction === 'outbound' ? handOff(table, target) : table.virtualInbound;
    const ls = ctx.stats.listener(listener.statName);
    ls.downstream_cx_total++;
    ls.downstream_cx_active++;
    socket.once('close', () => {
      ls.downstream_cx_active--;
      ls.downstream_cx_destroy++;
    });
    const info = newStreamInfo({
      kind: 'tcp',
      direction: this.opts.direction,
      listener: listener.name,
      filterChain: '',
      connectionId: ctx.nextConnectionId(),
      downstreamRemote: formatAddress(plainIp(socket.remoteAddress ?? ''), socket.remotePort ?? 0),
      downstreamLocal: formatAddress(target.address, target.port),
      listenerAddress: formatAddress(plainIp(socket.localAddress ?? ''), socket.localPort ?? 0),
    });
    if (!inspects(listener, target)) {
      const chain = selectChain(listener, target);
      this.opened(info, chain, false);
      this.dispatch(socket, info, listener, chain, target);
      return;
    }
    ctx.connectionOpened(info, true);
    void sniff(socket, table.config.mesh.protocolDetectionTimeoutMs).then((r) => {
      if (r.closed && r.head.length === 0) {
        ctx.connectionClosed(info);
        socket.destroy();
        return;
      }
      ctx.log.debug('conn_handler', () => `[C${info.connectionId}] ${listener.name}: detected ${r.protocol}${r.timedOut ? ' (listener filter timeout)' : ''}`);
      const transport = r.protocol === 'tls' ? 'tls' : 'raw_buffer';
      const alpn = r.protocol === 'tls' || r.protocol === 'tcp' ? undefined : r.protocol;
      let chain = selectChain(listener, target, transport, alpn);
      if (chain?.kind === 'http' && alpn !== 'http/1.1' && alpn !== 'http/1.0') {
        // No HTTP/2 codec here: h2c goes where undetected bytes would.
        chain = selectChain(listener, target, transport);
      }
      this.opened(info, chain, true);
      this.dispatch(socket, info, listener, chain, target, r.head);
    });
  }

  private opened(info: StreamInfo, chain: FilterChain | undefined, announced: boolean): void {
    info.filterChain = chain?.name ?? '';
    if (chain?.kind === 'http' || chain?.kind === 'local') info.kind = 'http';
    if (chain?.cluster) info.cluster = chain.cluster.name;
    if (!announced) this.ctx.connectionOpened(info, false);
  }

  private dispatch(socket: Socket, info: StreamInfo, listener: ListenerRuntime, chain: FilterChain | undefined, dst: Address, head?: Buffer): void {
    const { ctx } = this;
    ctx.log.debug('conn_handler', () => `[C${info.connectionId}] ${listener.name} ${info.downstreamRemote} -> ${info.downstreamLocal} chain ${chain?.name || chain?.kind || 'none'}`);
    if (!chain) {
      // Envoy: no filter chain matched; the connection is closed, and the listener's access log says NR.
      info.kind = 'tcp';
      addFlag(info, 'NR');
      info.responseCodeDetails = 'filter_chain_not_found';
      ctx.connectionClosed(info, true);
      closeUnread(socket, head);
      return;
    }
    if (chain.kind === 'local') {
      this.toLocal(socket, info, chain, head);
      return;
    }
    if (chain.kind === 'http') {
      this.toHttp(socket, info, chain, dst, head);
      return;
    }
    const opts: TcpProxyOptions = { cluster: chain.cluster ?? (ctx.table?.blackhole as NonNullable<FilterChain['cluster']>), dst };
    if (head) opts.head = head;
    proxyTcp(ctx, socket, info, opts);
  }

  /** A bootstrap listener (15090, 15021): the proxy answers itself, as Envoy routes them to its admin and the agent. */
  private toLocal(socket: Socket, info: StreamInfo, chain: FilterChain, head?: Buffer): void {
    const server = this.opts.local?.[chain.local ?? 'prometheus'];
    info.cluster = chain.local === 'health' ? 'agent' : 'prometheus_stats';
    socket.once('close', () => {
      info.bytesReceived = socket.bytesRead;
      info.bytesSent = socket.bytesWritten;
      this.ctx.connectionClosed(info, false);
    });
    if (!server) {
      socket.destroy();
      return;
    }
    if (head && head.length > 0) socket.unshift(head);
    server.emit('connection', socket);
    socket.resume();
  }

  private toHttp(socket: Socket, info: StreamInfo, chain: FilterChain, dst: Address, head?: Buffer): void {
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
        listener: chain.listener,
        chain,
        dst,
        connectionId: info.connectionId,
        downstreamRemote: info.downstreamRemote,
        downstreamLocal: info.downstreamLocal,
        listenerAddress: info.listenerAddress,
        stats: ctx.stats.httpPrefix(chain.statPrefix),
        headers: headerPolicy(ctx.table?.config, this.opts.direction, chain.serverName ?? 'envoy'),
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
