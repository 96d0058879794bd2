// Listening plumbing shared by the demo apps: one server per port, dual-stack bind, hard close.
import type { Server, Socket } from 'node:net';

/** What every demo app's `start*` returns. */
export interface RunningApp {
  /** The ports actually bound, in the order asked (port 0 resolves to the one picked). */
  ports: number[];
  /** Stops listening and drops every open connection. */
  close(): Promise<void>;
}

/** Where to listen: `host` undefined means every address, IPv6 too when the host has it. */
export interface ListenOptions {
  ports: number[];
  host?: string;
}

/** A line logger; the CLI writes to stdout, tests pass a no-op. */
export type LogLine = (line: string) => void;

export const stdoutLog: LogLine = (line) => {
  process.stdout.write(`${line}\n`);
};

/** Peer address as a person reads it: IPv4-mapped IPv6 (`::ffff:1.2.3.4`) shown as IPv4. */
export function peerAddress(socket: Socket): string {
  const address = socket.remoteAddress ?? '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

// Codes that mean "this host has no IPv6", as in a container started with IPv6 disabled.
const NO_IPV6 = new Set(['EAFNOSUPPORT', 'EADDRNOTAVAIL', 'EINVAL', 'EPROTONOSUPPORT']);

function listenOnce(server: Server, port: number, host: string, ipv6Only: boolean) {
  return new Promise<number>((resolve, reject) => {
    const onError = (err: Error): void => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = (): void => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ port, host, ipv6Only });
  });
}

/** Binds `server` to `port`; without a host, `::` dual stack, falling back to `0.0.0.0`. */
export async function listenDualStack(server: Server, port: number, host?: string) {
  if (host !== undefined) return listenOnce(server, port, host, false);
  try {
    return await listenOnce(server, port, '::', false);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === undefined || !NO_IPV6.has(code)) throw err;
    return listenOnce(server, port, '0.0.0.0', false);
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
  });
}

/**
 * Starts one server per port with `makeServer` and tracks every connection, so `close()`
 * returns at once instead of waiting for keep-alive clients: SIGTERM must end the app quickly.
 */
export async function serveOnPorts(
  opts: ListenOptions,
  makeServer: () => Server,
): Promise<RunningApp> {
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const close = async (): Promise<void> => {
    const closing = servers.map(closeServer);
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await Promise.all(closing);
  };
  const ports: number[] = [];
  try {
    for (const port of opts.ports) {
      const server = makeServer();
      servers.push(server);
      server.on('connection', (socket: Socket) => {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
      });
      ports.push(await listenDualStack(server, port, opts.host));
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { ports, close };
}
