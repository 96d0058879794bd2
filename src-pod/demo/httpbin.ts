// httpbin-like HTTP/1.1 demo server: echoes what it saw so the lab can show what the proxy changed.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import {
  peerAddress,
  serveOnPorts,
  stdoutLog,
  type ListenOptions,
  type LogLine,
  type RunningApp,
} from './serve';

export interface HttpbinOptions extends ListenOptions {
  /** Shown in `x-served-by` and `servedBy`; defaults to the host name (the pod name in the lab). */
  name?: string;
  /** One line per request; defaults to stdout. */
  log?: LogLine;
}

export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => void;

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

// Same caps as httpbin: a demo must not be turned into a memory or time sink.
const MAX_DELAY_SECONDS = 10;
const MAX_BYTES = 100 * 1024;
const MAX_BODY = 10 * 1024 * 1024;

const INDEX_PATHS = [
  '/get',
  '/headers',
  '/ip',
  '/status/{codes}',
  '/delay/{seconds}',
  '/anything',
  '/bytes/{n}',
];

/** `user-agent` → `User-Agent`, the spelling httpbin shows. */
function titleCase(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

function headersOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    out[titleCase(name)] = Array.isArray(value) ? value.join(',') : value;
  }
  return out;
}

function argsOf(url: URL): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const all = url.searchParams.getAll(key);
    out[key] = all.length === 1 ? all[0] : all;
  }
  return out;
}

function formOf(body: string): Record<string, Json> {
  return argsOf(new URL(`http://form/?${body}`));
}

function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        resolve(null);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Body text as httpbin shows it: UTF-8 when it is, a base64 data URL otherwise. */
function bodyText(body: Buffer, contentType: string): string {
  const text = body.toString('utf8');
  if (Buffer.from(text, 'utf8').equals(body)) return text;
  const type = contentType || 'application/octet-stream';
  return `data:${type};base64,${body.toString('base64')}`;
}

function parseJson(text: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return null;
  }
}

/** The URL the client asked for; origin-form paths are appended, so `//x` stays a path. */
function requestUrl(req: IncomingMessage): URL {
  const target = req.url ?? '/';
  if (!target.startsWith('/')) {
    try {
      return new URL(target);
    } catch {
      // Not absolute-form either: show it as a path below.
    }
  }
  const path = target.startsWith('/') ? target : `/${target}`;
  try {
    return new URL(`http://${req.headers.host ?? 'localhost'}${path}`);
  } catch {
    return new URL(`http://localhost${path}`);
  }
}

function pickStatus(spec: string): number | null {
  const codes = spec.split(',').map((s) => s.trim());
  if (codes.some((c) => !/^\d{3}$/.test(c) || Number(c) < 200 || Number(c) > 599)) return null;
  return Number(codes[Math.floor(Math.random() * codes.length)]);
}

/** Builds the request handler; `startHttpbin` and the `listen` app share it. */
export function createHttpbinHandler(opts: { name?: string; log?: LogLine } = {}): HttpHandler {
  const servedBy = opts.name ?? hostname();
  const log = opts.log ?? stdoutLog;

  const sendJson = (res: ServerResponse, status: number, body: Record<string, Json>): void => {
    const text = `${JSON.stringify({ ...body, servedBy }, null, 2)}\n`;
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  };
  const sendText = (res: ServerResponse, status: number, text: string): void => {
    res.writeHead(status, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const url = requestUrl(req);
    const path = url.pathname;
    const origin = peerAddress(req.socket);
    const basics = (): Record<string, Json> => ({
      args: argsOf(url),
      headers: headersOf(req),
      origin,
      url: url.href,
    });
    const readOnly = method === 'GET' || method === 'HEAD';
    let match: RegExpExecArray | null;

    if (path === '/') {
      const lines = [`sidecar-lab httpbin, served by ${servedBy}`, '', ...INDEX_PATHS, ''];
      sendText(res, 200, lines.join('\n'));
    } else if (path === '/get') {
      if (!readOnly) sendText(res, 405, 'method not allowed\n');
      else sendJson(res, 200, basics());
    } else if (path === '/headers') {
      sendJson(res, 200, { headers: headersOf(req) });
    } else if (path === '/ip') {
      sendJson(res, 200, { origin });
    } else if ((match = /^\/status\/([^/]+)$/.exec(path))) {
      const status = pickStatus(match[1].replace(/%2c/gi, ','));
      if (status === null) {
        sendText(res, 400, 'invalid status code\n');
        return;
      }
      // httpbin points redirects somewhere real; a client following it gets /get.
      const headers: Record<string, string> = { 'content-length': '0' };
      if (status >= 300 && status < 400 && status !== 304) headers.location = '/get';
      res.writeHead(status, headers);
      res.end();
    } else if ((match = /^\/delay\/([^/]+)$/.exec(path))) {
      const seconds = Number(match[1]);
      if (!Number.isFinite(seconds) || seconds < 0) {
        sendText(res, 400, 'invalid delay\n');
        return;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(seconds, MAX_DELAY_SECONDS) * 1000);
        // A client that gives up (or close()) must not leave a timer holding the process.
        res.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      if (!res.destroyed) sendJson(res, 200, basics());
    } else if (path === '/anything' || path.startsWith('/anything/')) {
      const body = await readBody(req);
      if (body === null) {
        sendText(res, 413, 'body too large\n');
        return;
      }
      const contentType = req.headers['content-type'] ?? '';
      const data = bodyText(body, contentType);
      const isForm = contentType.startsWith('application/x-www-form-urlencoded');
      sendJson(res, 200, {
        ...basics(),
        method,
        data: isForm ? '' : data,
        files: {},
        form: isForm ? formOf(data) : {},
        json: isForm || data === '' ? null : parseJson(data),
      });
    } else if ((match = /^\/bytes\/(\d+)$/.exec(path))) {
      const n = Math.min(Number(match[1]), MAX_BYTES);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': n });
      res.end(randomBytes(n));
    } else {
      sendText(res, 404, 'not found\n');
    }
  };

  return (req, res) => {
    res.setHeader('x-served-by', servedBy);
    // Read now: a destroyed socket no longer knows its peer.
    const peer = peerAddress(req.socket);
    res.once('close', () => {
      const status = res.headersSent ? res.statusCode : 0;
      log(`${req.method ?? '-'} ${req.url ?? '-'} ${status} ${peer}`);
    });
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendText(res, 500, `${String(err)}\n`);
      else res.destroy();
    });
  };
}

/** Starts httpbin on every port in `opts.ports`. */
export function startHttpbin(opts: HttpbinOptions): Promise<RunningApp> {
  const handler = createHttpbinHandler(opts);
  return serveOnPorts(opts, () => createServer(handler));
}
