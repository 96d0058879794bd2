// Starts the stand-in's listeners, each on its own address and port with its protocol's handler.
import { createServer, type Server } from 'node:net';
import { startListen } from '../demo/listen';
import { serveOnPorts, type RunningApp } from '../demo/serve';
import { startEcho } from '../demo/tcp';
import type { ConnectionHandler, ServeContext } from './context';
import { grpcServer, httpServer } from './http';
import { ftpConnection, memcachedConnection, smtpConnection } from './lines';
import { mysqlConnection } from './mysql';
import { postgresConnection } from './postgres';
import { redisConnection } from './redis';
import { formatHostPort, type ListenSpec, type StandinProtocol } from './spec';

const SOCKET_HANDLERS: Partial<Record<StandinProtocol, ConnectionHandler>> = {
  mysql: mysqlConnection,
  postgres: postgresConnection,
  redis: redisConnection,
  memcached: memcachedConnection,
  smtp: smtpConnection,
  ftp: ftpConnection,
};

function startOne(l: ListenSpec, ctx: ServeContext): Promise<RunningApp> {
  const where = { ports: [l.port], host: l.host };
  const handler = SOCKET_HANDLERS[l.protocol];
  if (handler) return serveOnPorts(where, (): Server => createServer((s) => handler(s, ctx)));
  switch (l.protocol) {
    case 'http':
      return serveOnPorts(where, () => httpServer(ctx));
    case 'grpc':
      return serveOnPorts(where, () => grpcServer(ctx));
    case 'tcp':
      return startEcho({ ...where, log: ctx.log });
    default:
      return startListen({ ...where, name: ctx.spec.name, log: ctx.log });
  }
}

/** Starts every listener of the spec; on a failure the ones already started are closed. */
export async function startListeners(ctx: ServeContext): Promise<RunningApp> {
  const running: RunningApp[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(running.map((r) => r.close()));
  };
  try {
    for (const l of ctx.spec.listens) {
      const started = await startOne(l, ctx);
      running.push(started);
      ctx.log(`standin ${ctx.spec.name}: ${l.protocol} listening on ${formatHostPort(l.host, started.ports[0])}`);
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { ports: running.flatMap((r) => r.ports), close };
}
