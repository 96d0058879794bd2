// `demo relay`: a bare TCP relay, the physical limit a sidecar is compared with — accept, connect upstream, copy bytes both ways, nothing else.
//
// In the performance scenario it runs as uid 1337 on the ports istio-init redirects to, so Istio's
// own rules capture the pod's traffic into it and let its upstream connections out, exactly as for
// the proxy. It relays to a fixed upstream per listening port (no SO_ORIGINAL_DST: one syscall per
// connection either way, on connections that are kept alive).
import { connect, createServer, type Server, type Socket } from 'node:net';
import { FlagError, parseFlags } from '../demo/flags';

export interface RelayRoute {
  port: number;
  host: string;
  upstreamPort: number;
}

export const RELAY_USAGE = 'usage: demo relay --route PORT=HOST:PORT [--route …] [--host ADDR]\n  A bare TCP relay: each connection to PORT is copied to and from HOST:PORT.\n';

/** `--route 15001=server.perf:80`: where connections to a port go. */
export function parseRoute(text: string): RelayRoute {
  const m = /^(\d{1,5})=(.+):(\d{1,5})$/.exec(text);
  const port = Number(m?.[1]);
  const upstreamPort = Number(m?.[3]);
  if (!m || port < 1 || port > 65535 || upstreamPort < 1 || upstreamPort > 65535) {
    throw new FlagError(`relay: --route takes PORT=HOST:PORT (ports 1-65535), got ${JSON.stringify(text)}`);
  }
  return { port, host: m[2].replace(/^\[(.*)\]$/, '$1'), upstreamPort };
}

export function parseRelayArgs(argv: readonly string[]): { routes: RelayRoute[]; host?: string } | 'help' {
  const flags = parseFlags(argv, { route: 'value', host: 'value', help: 'switch' });
  if (flags.has('help')) return 'help';
  const routes = (flags.get('route') ?? []).map(parseRoute);
  if (routes.length === 0) throw new FlagError('relay: at least one --route PORT=HOST:PORT');
  const host = flags.get('host')?.at(-1);
  return host ? { routes, host } : { routes };
}

/** Copies both ways; either side's end or error ends the other. */
function relay(client: Socket, route: RelayRoute): void {
  const upstream = connect({ host: route.host, port: route.upstreamPort, noDelay: true });
  client.setNoDelay(true);
  const close = (): void => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close);
  upstream.on('error', close);
  client.pipe(upstream);
  upstream.pipe(client);
  client.on('close', close);
  upstream.on('close', close);
}

/** Listens on every route's port; resolves once all are bound. */
export async function startRelay(routes: RelayRoute[], host = '0.0.0.0'): Promise<{ servers: Server[]; close(): Promise<void> }> {
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  for (const route of routes) {
    const server = createServer({ allowHalfOpen: true }, (socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      relay(socket, route);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(route.port, host, () => resolve());
    });
    servers.push(server);
  }
  return {
    servers,
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}
