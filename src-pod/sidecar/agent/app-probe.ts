// pilot-agent probing the app for the kubelet: HTTP GET, TCP connect or gRPC health check, from 127.0.0.6 to the pod IP.
import { connect as http2Connect } from 'node:http2';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as tcpConnect, isIPv6 } from 'node:net';
import type { Prober } from './agent-env';

/** What the agent answers the kubelet: a status and, for HTTP, the app's body (at most 10 KiB). */
export interface ProbeAnswer {
  status: number;
  body?: Buffer;
}

export interface ProbeTarget {
  /** The pod IP (Kubernetes' own destination), or `localhost` with REWRITE_PROBE_LEGACY_LOCALHOST_DESTINATION. */
  destination: string;
  /**
   * 127.0.0.6 (::6 for IPv6): istio-iptables lets this source through (`-o lo -s 127.0.0.6 -j RETURN`),
   * so the agent's own probe is not redirected to the inbound listener although it runs as 1337.
   */
  localAddress: string;
}

const MAX_BODY = 10 * 1024;
const MAX_REDIRECTS = 10;

const hostPort = (host: string, port: number): string => (isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`);

/** The upstream source address the agent binds for a destination. */
export function upstreamLocalAddress(podIp: string): string {
  return isIPv6(podIp) ? '::6' : '127.0.0.6';
}

interface HttpResult {
  status: number;
  location?: string;
  body: Buffer;
}

function getOnce(url: URL, headers: Record<string, string | string[]>, localAddress: string, timeoutMs: number, signal: AbortSignal): Promise<HttpResult> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, {
      method: 'GET',
      headers,
      localAddress,
      // Kubernetes (and so the agent) does not keep probe connections alive, nor verify certificates.
      agent: false,
      rejectUnauthorized: false,
      signal,
    });
    req.once('error', reject);
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < MAX_BODY) chunks.push(c.subarray(0, MAX_BODY - size));
        size += c.length;
      });
      res.once('end', () => resolve({ status: res.statusCode ?? 0, ...(res.headers.location ? { location: res.headers.location } : {}), body: Buffer.concat(chunks) }));
      res.once('error', reject);
    });
    if (timeoutMs > 0) req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.end();
  });
}

/**
 * The HTTP probe: GET the prober's path on the destination, with the kubelet's headers and Host
 * (status port replaced by the app's). A redirect to the same host is followed (at most 10), one
 * elsewhere counts as success; a 3xx answer becomes 200, anything else is the app's code and body;
 * no answer in time is 500.
 */
export async function probeHttp(
  prober: NonNullable<Prober['httpGet']>,
  timeoutSeconds: number,
  target: ProbeTarget,
  headers: IncomingHttpHeaders,
  host: string | undefined,
): Promise<ProbeAnswer> {
  const path = prober.path === undefined || prober.path.startsWith('/') ? (prober.path ?? '/') : `/${prober.path}`;
  const scheme = prober.scheme === 'HTTPS' ? 'https' : 'http';
  let url = new URL(`${scheme}://${hostPort(target.destination, prober.port)}${path}`);
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && k !== 'host' && k !== 'content-length' && k !== 'transfer-encoding') out[k] = v;
  if (host !== undefined) out.host = host;
  const controller = new AbortController();
  // Go's http.Client Timeout covers the whole exchange, redirects included.
  const timer = timeoutSeconds > 0 ? setTimeout(() => controller.abort(), timeoutSeconds * 1000) : undefined;
  try {
    for (let hops = 0; ; hops++) {
      const r = await getOnce(url, out, target.localAddress, 0, controller.signal);
      if (r.status >= 300 && r.status < 400) {
        if (r.location === undefined) return { status: 200 };
        const next = new URL(r.location, url);
        if (next.hostname !== url.hostname) return { status: 200 };
        if (hops + 1 >= MAX_REDIRECTS) return { status: 500 };
        url = next;
        delete out.host;
        continue;
      }
      return { status: r.status, body: r.body };
    }
  } catch {
    return { status: 500 };
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** The TCP probe: a connection that opens is 200, else 500. */
export function probeTcp(port: number, timeoutSeconds: number, target: ProbeTarget): Promise<ProbeAnswer> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: target.destination, port, localAddress: target.localAddress });
    const done = (status: number): void => {
      socket.destroy();
      resolve({ status });
    };
    if (timeoutSeconds > 0) socket.setTimeout(timeoutSeconds * 1000, () => done(500));
    socket.once('connect', () => done(200));
    socket.once('error', () => done(500));
  });
}

/** grpc.health.v1.HealthCheckRequest{service}: field 1, length-delimited, in a gRPC frame. */
function healthRequest(service: string): Buffer {
  const name = Buffer.from(service, 'utf8');
  const msg = name.length === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x0a]), varint(name.length), name]);
  const frame = Buffer.alloc(5);
  frame.writeUInt32BE(msg.length, 1);
  return Buffer.concat([frame, msg]);
}

function varint(n: number): Buffer {
  const bytes: number[] = [];
  let v = n;
  while (v > 0x7f) {
    bytes.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

/** HealthCheckResponse.status (field 1, varint) from the first gRPC frame; 0 (UNKNOWN) when absent. */
export function healthStatus(data: Buffer): number {
  if (data.length < 5) return 0;
  const msg = data.subarray(5, 5 + data.readUInt32BE(1));
  let i = 0;
  while (i < msg.length) {
    const tag = msg[i++];
    let value = 0;
    let shift = 0;
    if ((tag & 7) === 0) {
      for (;;) {
        const b = msg[i++];
        value |= (b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80) || i >= msg.length) break;
      }
      if (tag >> 3 === 1) return value;
    } else if ((tag & 7) === 2) {
      let len = 0;
      for (;;) {
        const b = msg[i++];
        len |= (b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80) || i >= msg.length) break;
      }
      i += len;
    } else {
      return 0;
    }
  }
  return 0;
}

const SERVING = 1;

/** The gRPC probe: grpc.health.v1.Health/Check over plaintext HTTP/2; SERVING is 200, anything else 500. */
export function probeGrpc(
  prober: NonNullable<Prober['grpc']>,
  timeoutSeconds: number,
  target: ProbeTarget,
  userAgent: string | undefined,
): Promise<ProbeAnswer> {
  return new Promise((resolve) => {
    const authority = `http://${hostPort(target.destination, prober.port)}`;
    const session = http2Connect(authority, {
      createConnection: () => tcpConnect({ host: target.destination, port: prober.port, localAddress: target.localAddress }),
    });
    let settled = false;
    const done = (status: number): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.destroy();
      resolve({ status });
    };
    // Go's grpc.DialContext with a zero-timeout context fails at once; Kubernetes always sets one.
    const timer = setTimeout(() => done(500), Math.max(timeoutSeconds, 0) * 1000);
    session.once('error', () => done(500));
    const stream = session.request({
      ':method': 'POST',
      ':path': '/grpc.health.v1.Health/Check',
      'content-type': 'application/grpc',
      te: 'trailers',
      ...(userAgent ? { 'user-agent': userAgent } : {}),
    });
    const chunks: Buffer[] = [];
    let grpcStatus: string | undefined;
    stream.on('response', (h) => {
      if (h['grpc-status'] !== undefined) grpcStatus = String(h['grpc-status']);
    });
    stream.on('trailers', (t) => {
      if (t['grpc-status'] !== undefined) grpcStatus = String(t['grpc-status']);
    });
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.once('error', () => done(500));
    stream.once('end', () => done(grpcStatus === '0' && healthStatus(Buffer.concat(chunks)) === SERVING ? 200 : 500));
    stream.end(healthRequest(prober.service ?? ''));
  });
}
