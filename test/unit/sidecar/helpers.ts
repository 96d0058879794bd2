// Test plumbing: in-process sidecar on loopback, original destinations keyed by client source IP.
import { createServer as createHttpServer, request, type IncomingHttpHeaders, type Server as HttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { validateConfig } from '../../../src-pod/sidecar/config';
import { Logger } from '../../../src-pod/sidecar/logger';
import { plainIp } from '../../../src-pod/sidecar/net-util';
import type { Address } from '../../../src-pod/sidecar/routing';
import { Sidecar } from '../../../src-pod/sidecar/sidecar';

/**
 * Stands in for SO_ORIGINAL_DST: each test connection comes from its own 127.0.x.y source
 * address, registered with the destination it "meant" to reach.
 */
export class DstMap {
  private n = 0;
  private readonly map = new Map<string, Address>();

  source(dst: Address): string {
    const i = this.n++;
    const ip = `127.0.${100 + Math.floor(i / 250)}.${(i % 250) + 1}`;
    this.map.set(ip, dst);
    return ip;
  }

  resolve = (socket: Socket): Address | undefined => this.map.get(plainIp(socket.remoteAddress ?? ''));
}

export interface Harness {
  sidecar: Sidecar;
  dsts: DstMap;
  logs: string[];
  ports: Record<string, number>;
  close(): Promise<void>;
}

/** Starts a sidecar on 127.0.0.1 with every port picked by the kernel. */
export async function startSidecar(config?: unknown, extra: { debugLines?: string[]; onQuit?: () => void; labSocket?: string } = {}): Promise<Harness> {
  const dsts = new DstMap();
  const logs: string[] = [];
  const sidecar = new Sidecar({
    outboundPort: 0,
    inboundPort: 0,
    adminPort: 0,
    healthPort: 0,
    prometheusPort: 0,
    agentPort: 0,
    statusAddress: '127.0.0.1',
    listenerHosts: ['127.0.0.1'],
    resolveOutboundDst: dsts.resolve,
    resolveInboundDst: dsts.resolve,
    accessLogWrite: (text) => logs.push(...text.split('\n').filter((l) => l !== '')),
    logger: new Logger('info', (line) => extra.debugLines?.push(line)),
    onQuit: extra.onQuit ?? (() => undefined),
    ...(extra.labSocket ? { labSocket: extra.labSocket } : {}),
  });
  if (config !== undefined) await sidecar.applyConfig(validateConfig(config));
  await sidecar.start();
  return { sidecar, dsts, logs, ports: sidecar.ports(), close: () => sidecar.close() };
}

const tcpConnections = new WeakMap<Server, Set<Socket>>();

export function listenTcp(handler: (s: Socket) => void, host = '127.0.0.1'): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const sockets = new Set<Socket>();
    const server = createServer({ allowHalfOpen: true }, (s) => {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
      s.on('error', () => undefined);
      handler(s);
    });
    tcpConnections.set(server, sockets);
    server.listen(0, host, () => {
      const a = server.address();
      resolve({ server, port: typeof a === 'object' && a ? a.port : 0 });
    });
  });
}

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  remoteAddress: string;
  body: string;
}

/** An HTTP upstream that records requests and answers with `respond` (default 200 "ok"). */
export function listenHttp(
  respond: (req: IncomingMessage, res: ServerResponse, body: string) => void = (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', server: 'upstream' });
    res.end('ok');
  },
  host = '127.0.0.1',
): Promise<{ server: HttpServer; port: number; seen: SeenRequest[] }> {
  const seen: SeenRequest[] = [];
  return new Promise((resolve) => {
    const server = createHttpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, remoteAddress: plainIp(req.socket.remoteAddress ?? ''), body });
        respond(req, res, body);
      });
    });
    server.listen(0, host, () => {
      const a = server.address();
      resolve({ server, port: typeof a === 'object' && a ? a.port : 0, seen });
    });
  });
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One HTTP request through a listener port, "redirected" from `dst`. */
export function httpVia(
  h: Harness,
  listenerPort: number,
  dst: Address,
  opts: { method?: string; path?: string; host?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: listenerPort,
        localAddress: h.dsts.source(dst),
        method: opts.method ?? 'GET',
        path: opts.path ?? '/',
        agent: false,
        headers: { host: opts.host ?? `${dst.address}:${dst.port}`, ...opts.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Opens a raw TCP connection through a listener port, "redirected" from `dst`. */
export function tcpVia(h: Harness, listenerPort: number, dst: Address): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port: listenerPort, localAddress: h.dsts.source(dst) }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Reads until `done(text)` or the end; rejects after `ms`. */
export function readUntil(s: Socket, done: (text: string) => boolean, ms = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => finish(new Error(`timed out; got ${JSON.stringify(text)}`)), ms);
    const onData = (c: Buffer): void => {
      text += c.toString('utf8');
      if (done(text)) finish();
    };
    const onEnd = (): void => finish();
    function finish(err?: Error): void {
      clearTimeout(timer);
      s.off('data', onData);
      s.off('end', onEnd);
      s.off('close', onEnd);
      if (err) reject(err);
      else resolve(text);
    }
    s.on('data', onData);
    s.once('end', onEnd);
    s.once('close', onEnd);
  });
}

/** Waits until `cond()` holds (polling, 2 s at most). */
export async function waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function closeServer(server: Server | HttpServer): Promise<void> {
  return new Promise((resolve) => {
    if ('closeAllConnections' in server) server.closeAllConnections();
    for (const s of tcpConnections.get(server as Server) ?? []) s.destroy();
    server.close(() => resolve());
  });
}

/** A plain HTTP call to one of the sidecar's own ports (admin, health, Prometheus). */
export function call(port: number, path: string, method = 'GET', body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A minimal valid config; `over` is merged at the top level. */
export function baseConfig(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: 't1',
    pod: { name: 'sleep-1', namespace: 'default', ip: '127.0.0.1' },
    mesh: { outboundTrafficPolicy: { mode: 'ALLOW_ANY' }, protocolDetectionTimeout: '300ms', accessLogFile: '/dev/stdout' },
    services: [],
    serviceEntries: [],
    inboundPorts: [],
    ...over,
  };
}

/**
 * Declares `ports` as HTTP through a ServiceEntry without addresses, so the proxy has a
 * `0.0.0.0_PORT` listener there (Istio's HCM with allow_any). Without it an undeclared port is
 * only the catch-all TCP byte pipe, as in Istio.
 */
export function withHttpPorts(config: Record<string, unknown>, ...ports: number[]): Record<string, unknown> {
  const entries = (config['serviceEntries'] as unknown[] | undefined) ?? [];
  return {
    ...config,
    serviceEntries: [
      ...entries,
      ...ports.map((p) => ({ name: `http-${p}`, namespace: 'default', hosts: [`http-${p}.test.example`], ports: [{ number: p, name: 'http', protocol: 'HTTP' }], resolution: 'NONE' })),
    ],
  };
}
