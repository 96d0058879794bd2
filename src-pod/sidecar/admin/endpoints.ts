// Admin (15000), health (15021) and Prometheus (15090) HTTP endpoints.
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { clustersJson, clustersText } from './clusters';
import { configDump, DumpQueryError, listenersJson, listenersText, serverInfo, type ProxyRuntimeInfo } from '../admin-views';
import { ConfigError, validateConfig, type ProxyConfig } from '../config';
import type { ProxyContext } from '../context';
import { isLevel, LEVELS } from '../logger';
import { connectFailure, resetBody } from '../upstream-errors';

/** What the endpoints need from the running sidecar. */
export interface SidecarControl {
  ctx: ProxyContext;
  runtime(): ProxyRuntimeInfo;
  startedAt: number;
  config(): ProxyConfig | undefined;
  applyConfig(config: ProxyConfig): Promise<void>;
  ready(): boolean;
  /** Bound ports by name (`agent` among them). */
  ports(): Record<string, number>;
  quit(): void;
  drainListeners(): Promise<void>;
}

type Handler = (c: SidecarControl, req: IncomingMessage, res: ServerResponse, q: URLSearchParams) => void | Promise<void>;

const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

function send(res: ServerResponse, code: number, body: string, type = 'text/plain; charset=UTF-8'): void {
  res.writeHead(code, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-cache, max-age=0' });
  res.end(body);
}

function json(res: ServerResponse, value: unknown): void {
  send(res, 200, `${JSON.stringify(value, null, 2)}\n`, 'application/json');
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_CONFIG_BYTES) {
        reject(new ConfigError(`config larger than ${MAX_CONFIG_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}

const getConfig: Handler = (c, _req, res) => {
  const config = c.config();
  if (!config) send(res, 404, 'no config received yet\n');
  else json(res, config);
};

const postConfig: Handler = async (c, req, res) => {
  let config: ProxyConfig;
  try {
    const text = await readBody(req);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new ConfigError(`config is not JSON: ${(err as Error).message}`, { cause: err });
    }
    config = validateConfig(parsed);
  } catch (err) {
    send(res, 400, `${(err as Error).message}\n`);
    return;
  }
  await c.applyConfig(config);
  json(res, { applied: true, version: config.version });
};

const flows: Handler = (c, req, res, q) => c.ctx.flows.serve(req, res, q);

const prometheus: Handler = (c, _req, res) =>
  send(res, 200, c.ctx.metrics.render(c.ctx.stats), 'text/plain; version=0.0.4; charset=utf-8');

const ADMIN_GET: Record<string, Handler> = {
  '/config_dump': (c, _req, res, q) => {
    try {
      const resource = q.get('resource') ?? undefined;
      json(res, configDump(c.ctx.table, c.runtime(), { ...(resource ? { resource } : {}), includeEds: q.has('include_eds') }));
    } catch (err) {
      if (!(err instanceof DumpQueryError)) throw err;
      send(res, 404, `${err.message}\n`);
    }
  },
  '/listeners': (c, _req, res, q) => {
    if (q.get('format') === 'json') json(res, listenersJson(c.ctx.table));
    else send(res, 200, listenersText(c.ctx.table));
  },
  '/clusters': (c, _req, res, q) => {
    if (q.get('format') === 'json') json(res, clustersJson(c.ctx.table, c.ctx.stats));
    else send(res, 200, clustersText(c.ctx.table, c.ctx.stats));
  },
  '/stats': (c, _req, res, q) => send(res, 200, c.ctx.stats.text(q.get('filter') ?? undefined)),
  '/stats/prometheus': prometheus,
  '/server_info': (c, _req, res) => json(res, serverInfo(c.ctx.table, c.runtime(), c.startedAt)),
  '/ready': (c, _req, res) => send(res, c.ready() ? 200 : 503, `${c.runtime().state}\n`),
  '/logging': (c, _req, res) => send(res, 200, loggers(c)),
  '/lab/config': getConfig,
  '/lab/flows': flows,
  '/': (_c, _req, res) =>
    send(res, 200, `admin commands are:\n${['/clusters', '/config_dump', '/listeners', '/logging', '/quitquitquit', '/ready', '/server_info', '/stats', '/stats/prometheus', '/lab/config', '/lab/flows'].map((p) => `  ${p}`).join('\n')}\n`),
};

function loggers(c: SidecarControl): string {
  const level = c.ctx.log.level;
  return `active loggers:\n${['admin', 'config', 'conn_handler', 'connection', 'http', 'router', 'tcp', 'upstream'].map((n) => `  ${n}: ${level}`).join('\n')}\n`;
}

const ADMIN_POST: Record<string, Handler> = {
  '/logging': (c, _req, res, q) => {
    // No parameters only lists the loggers, as Envoy does (istioctl proxy-config log asks that first).
    if ([...q.keys()].length === 0) {
      send(res, 200, loggers(c));
      return;
    }
    // `level=debug` sets every logger, like Envoy; `NAME=level` does the same here (one level).
    const value = q.get('level') ?? [...q.values()][0];
    if (value === undefined || !isLevel(value)) {
      send(res, 404, `usage: /logging?level=<${LEVELS.join('|')}>\n`);
      return;
    }
    c.ctx.log.setLevel(value);
    send(res, 200, loggers(c));
  },
  '/quitquitquit': (c, _req, res) => {
    send(res, 200, 'OK\n');
    res.once('finish', () => c.quit());
  },
  '/drain_listeners': async (c, _req, res) => {
    await c.drainListeners();
    send(res, 200, 'OK\n');
  },
  '/lab/config': postConfig,
};

async function dispatch(
  c: SidecarControl,
  req: IncomingMessage,
  res: ServerResponse,
  get: Record<string, Handler>,
  post: Record<string, Handler>,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://admin');
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/$/, '') : url.pathname;
  const pick = (table: Record<string, Handler>): Handler | undefined => (Object.hasOwn(table, path) ? table[path] : undefined);
  const handler = req.method === 'POST' ? pick(post) : req.method === 'GET' || req.method === 'HEAD' ? pick(get) : undefined;
  if (!handler) {
    const other = req.method === 'POST' ? pick(get) : pick(post);
    if (other) send(res, 405, `method ${req.method ?? ''} not allowed for ${path}\n`);
    else send(res, 404, `invalid path: ${path}\n`);
    return;
  }
  await handler(c, req, res, url.searchParams);
}

function guarded(run: (req: IncomingMessage, res: ServerResponse) => Promise<void>) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    run(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, `${err instanceof Error ? err.message : String(err)}\n`);
      else res.destroy();
    });
  };
}

/** Envoy's admin interface, plus the lab's `/lab/config` and `/lab/flows`. */
export function adminHandler(c: SidecarControl) {
  return guarded((req, res) => dispatch(c, req, res, ADMIN_GET, ADMIN_POST));
}

/**
 * The bootstrap's 15021 listener: `/healthz/ready` routed to cluster `agent` (pilot-agent's
 * 127.0.0.1:15020), so its answer is the agent's, with Envoy's response headers; the agent
 * unreachable is Envoy's 503.
 */
const agentReady: Handler = (c, req, res) =>
  new Promise<void>((resolve) => {
    const started = Date.now();
    const up = httpRequest({ host: '127.0.0.1', port: c.ports().agent, path: req.url ?? '/healthz/ready', method: req.method, agent: false }, (r) => {
      r.resume();
      r.once('end', () => {
        res.writeHead(r.statusCode ?? 503, { 'content-length': 0, 'x-envoy-upstream-service-time': Date.now() - started, server: 'envoy' });
        res.end();
        resolve();
      });
    });
    up.once('error', (err: NodeJS.ErrnoException) => {
      const body = resetBody(connectFailure(err), false);
      res.writeHead(503, { 'content-length': Buffer.byteLength(body), 'content-type': 'text/plain', server: 'envoy' });
      res.end(body);
      resolve();
    });
    up.end();
  });

/** Envoy's local reply when no route matches (NR): 404, no body. */
function noRoute(res: ServerResponse): void {
  res.writeHead(404, { 'content-length': 0, server: 'envoy' });
  res.end();
}

/**
 * A bootstrap listener's `local_route`: one route, a prefix match for any method (so
 * `/healthz/ready?x` and `/stats/prometheus/anything` are routed); any other path is Envoy's 404 NR.
 * `lab` paths are the lab's own, before the route.
 */
function localRoute(c: SidecarControl, prefix: string, route: Handler, lab?: { get: Record<string, Handler>; post: Record<string, Handler> }) {
  return guarded(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    if (lab && url.pathname.startsWith('/lab/')) await dispatch(c, req, res, lab.get, lab.post);
    else if (url.pathname.startsWith(prefix)) await route(c, req, res, url.searchParams);
    else noRoute(res);
  });
}

/**
 * Envoy's 15021 listener (see `agentReady`).
 * The lab endpoints are served here too, since the admin port is loopback-only and the lab's
 * control plane talks to the pod from outside.
 */
export function healthHandler(c: SidecarControl) {
  const get: Record<string, Handler> = {
    '/lab/config': getConfig,
    '/lab/flows': flows,
    '/lab/config_dump': ADMIN_GET['/config_dump'],
  };
  return localRoute(c, '/healthz/ready', agentReady, { get, post: { '/lab/config': postConfig } });
}

/** The Prometheus scrape port: routed to the admin's `/stats/prometheus`. */
export function prometheusHandler(c: SidecarControl) {
  return localRoute(c, '/stats/prometheus', prometheus);
}
