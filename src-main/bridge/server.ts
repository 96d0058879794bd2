// The WebSocket bridge on 127.0.0.1: the same contract as the window's IPC, plus the built renderer over HTTP.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { LabService } from '../contract/api';
import { isStreamName } from '../contract/commands';
import { packError } from '../contract/errors';
import { CLOSE_UNAUTHORIZED, type ServerMessage, type StreamEvent } from '../contract/wire';
import { openConnection, type LabConnection } from './connection';
import type { TerminalSessionsOptions } from './terminal-sessions';

export interface BridgeOptions {
  service: LabService;
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** The built renderer (`out/renderer`); without it only the WebSocket answers. */
  staticDir?: string;
  /** Fixed for tests; a random one otherwise. */
  token?: string;
  terminals?: TerminalSessionsOptions;
  /** How long a connection without the token in its URL may take to send it. */
  authTimeoutMs?: number;
}

export interface Bridge {
  /** The page to open, with the token: `http://127.0.0.1:PORT/?token=…`. */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

function sameToken(given: string | null | undefined, token: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function serveStatic(root: string | undefined, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
  if (!root || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(root ? 405 : 404).end();
    return;
  }
  const base = resolve(root);
  const file = resolve(base, normalize(`.${path === '/' ? '/index.html' : path}`));
  // Never a file outside the renderer's folder, whatever `..` the path holds.
  if (file !== base && !file.startsWith(base + sep)) {
    res.writeHead(403).end();
    return;
  }
  const target = (await stat(file).catch(() => undefined))?.isFile() ? file : join(base, 'index.html');
  const info = await stat(target).catch(() => undefined);
  if (!info?.isFile()) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
    return;
  }
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[extname(target)] ?? 'application/octet-stream',
    'content-length': info.size,
    'cache-control': 'no-store',
  });
  if (req.method === 'HEAD') res.end();
  else createReadStream(target).pipe(res);
}

function send(socket: WebSocket, message: ServerMessage): void {
  if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
}

function parse(raw: RawData): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(raw.toString());
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function handleMessage(socket: WebSocket, connection: LabConnection, message: Record<string, unknown>): void {
  const id = typeof message['id'] === 'number' ? message['id'] : -1;
  const fail = (err: unknown) => send(socket, { id, error: packError(err) });
  if ('command' in message) {
    connection.call(message['command'], message['args']).then((result) => send(socket, { id, result: result ?? null }), fail);
    return;
  }
  const stream = message['subscribe'] ?? message['unsubscribe'];
  const key = typeof message['key'] === 'string' ? message['key'] : '';
  if (!isStreamName(stream)) {
    fail(new Error(`not a message of the lab's contract: ${JSON.stringify(message).slice(0, 120)}`));
    return;
  }
  try {
    if ('unsubscribe' in message) connection.unsubscribe(stream, key);
    else {
      const event = (type: StreamEvent['type'], payload?: unknown) => send(socket, { stream, key, type, payload });
      connection.subscribe(stream, key, {
        data: (p) => event('data', p),
        error: (err) => event('error', packError(err)),
        end: () => event('end'),
      });
    }
    send(socket, { id, result: null });
  } catch (err) {
    fail(err);
  }
}

/** Starts the bridge; resolves once it listens. Close it to kill its terminals and stop its streams. */
export async function startBridge(opts: BridgeOptions): Promise<Bridge> {
  const host = opts.host ?? '127.0.0.1';
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const http = createServer((req, res) => {
    serveStatic(opts.staticDir, req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    });
  });
  const wss = new WebSocketServer({ server: http });
  const connections = new Set<LabConnection>();

  wss.on('connection', (socket, req) => {
    const queryToken = new URL(req.url ?? '/', 'http://localhost').searchParams.get('token');
    let connection: LabConnection | undefined;
    const authorize = () => {
      connection = openConnection(opts.service, opts.terminals);
      connections.add(connection);
      send(socket, { ready: true });
    };
    const refuse = () => socket.close(CLOSE_UNAUTHORIZED, 'a valid token is required');
    let authTimer: NodeJS.Timeout | undefined;
    if (queryToken !== null) {
      if (!sameToken(queryToken, token)) return refuse();
      authorize();
    } else {
      authTimer = setTimeout(refuse, opts.authTimeoutMs ?? 5_000);
    }
    socket.on('message', (raw) => {
      const message = parse(raw);
      if (!connection) {
        clearTimeout(authTimer);
        if (message && sameToken(message['token'] as string | undefined, token)) authorize();
        else refuse();
        return;
      }
      if (!message) send(socket, { id: -1, error: { name: 'Error', message: 'messages must be JSON objects' } });
      else handleMessage(socket, connection, message);
    });
    socket.on('close', () => {
      clearTimeout(authTimer);
      if (connection) {
        connection.close();
        connections.delete(connection);
      }
    });
  });

  await new Promise<void>((done, fail) => {
    http.once('error', fail);
    http.listen(opts.port ?? 0, host, () => done());
  });
  const port = (http.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}/?token=${encodeURIComponent(token)}`,
    port,
    token,
    async close() {
      for (const c of connections) c.close();
      connections.clear();
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((done) => wss.close(() => done()));
      const closed = new Promise<void>((done) => http.close(() => done()));
      // Browsers keep HTTP connections alive; they would hold close() open for seconds.
      http.closeAllConnections();
      await closed;
    },
  };
}
