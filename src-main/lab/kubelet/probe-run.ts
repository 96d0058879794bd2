// The kubelet's probe actions (pkg/kubelet/prober and pkg/probe): HTTP GET, TCP connect, gRPC health check at the pod IP, exec in the container; each says success or failure and the kubelet's message.
import type Docker from 'dockerode';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as tcpConnect } from 'node:net';
import { probeGrpc } from '../../../src-pod/sidecar/agent/app-probe';
import { isRecord } from '../api/objects';
import { execInRaw } from '../runtime/docker-ops';
import type { ProbeResult } from './probe-worker';

export interface ProbeOutcome {
  result: ProbeResult;
  /** What the kubelet's event says after `… probe failed: `. */
  output: string;
}

export interface ProbeTarget {
  podIp: string;
  /** The container's ports, to resolve a named port. */
  ports: Record<string, unknown>[];
  /** The probe's timeout. */
  timeoutSeconds: number;
  /** `kube-probe/<major>.<minor>`, the User-Agent the kubelet sends. */
  userAgent: string;
  docker: Docker;
  /** The Docker container to exec in. */
  containerId: string;
}

/** A port number, or the container port named so (an IntOrString). */
function portOf(port: unknown, ports: Record<string, unknown>[]): number | string {
  if (typeof port === 'number') return port;
  if (typeof port === 'string' && /^\d+$/.test(port)) return Number(port);
  const named = ports.find((p) => p.name === port);
  return typeof named?.containerPort === 'number' ? named.containerPort : `invalid port ${String(port)}`;
}

const MAX_BODY = 10 * 1024;

/** Go's net error text for the errors Node reports, as the kubelet's message carries it. */
function dialError(err: NodeJS.ErrnoException, addr: string): string {
  if (err.code === 'ECONNREFUSED') return `dial tcp ${addr}: connect: connection refused`;
  if (err.code === 'EHOSTUNREACH') return `dial tcp ${addr}: connect: no route to host`;
  return `dial tcp ${addr}: ${err.message}`;
}

/** pkg/probe/http: 2xx and 3xx succeed; the body (10 KiB at most) is read, not shown. Redirects are followed to the same host. */
async function httpProbe(action: Record<string, unknown>, t: ProbeTarget): Promise<ProbeOutcome> {
  const port = portOf(action.port, t.ports);
  if (typeof port === 'string') return { result: 'failure', output: port };
  const scheme = String(action.scheme ?? 'HTTP').toLowerCase() === 'https' ? 'https' : 'http';
  const host = typeof action.host === 'string' && action.host ? action.host : t.podIp;
  const rawPath = typeof action.path === 'string' ? action.path : '';
  const path = rawPath.startsWith('/') ? rawPath : `/${rawPath}`;
  const headers: Record<string, string> = { 'user-agent': t.userAgent, accept: '*/*' };
  for (const h of Array.isArray(action.httpHeaders) ? action.httpHeaders.filter(isRecord) : []) headers[String(h.name).toLowerCase()] = String(h.value ?? '');
  let url = new URL(`${scheme}://${host}:${port}${path}`);
  const deadline = Date.now() + t.timeoutSeconds * 1000;
  for (let hops = 0; hops < 10; hops++) {
    const answer = await new Promise<{ status: number; location?: string } | { error: string }>((resolve) => {
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(url, { method: 'GET', headers, agent: false, rejectUnauthorized: false });
      const timer = setTimeout(() => {
        req.destroy();
        resolve({ error: `Get "${url.href}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` });
      }, Math.max(0, deadline - Date.now()));
      req.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        resolve({ error: `Get "${url.href}": ${dialError(err, `${url.hostname}:${url.port}`)}` });
      });
      req.once('response', (res) => {
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY) res.destroy();
        });
        const done = (): void => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, ...(res.headers.location ? { location: res.headers.location } : {}) });
        };
        res.once('end', done);
        res.once('close', done);
      });
      req.end();
    });
    if ('error' in answer) return { result: 'failure', output: answer.error };
    if (answer.status >= 300 && answer.status < 400 && answer.location) {
      const next = new URL(answer.location, url);
      // A redirect elsewhere is a success with a warning, as the kubelet takes it.
      if (next.hostname !== url.hostname) return { result: 'success', output: `Probe terminated redirects, Response body: ` };
      url = next;
      continue;
    }
    if (answer.status >= 200 && answer.status < 400) return { result: 'success', output: '' };
    return { result: 'failure', output: `HTTP probe failed with statuscode: ${answer.status}` };
  }
  return { result: 'failure', output: `Get "${url.href}": stopped after 10 redirects` };
}

/** pkg/probe/tcp: a connection that opens. */
function tcpProbe(action: Record<string, unknown>, t: ProbeTarget): Promise<ProbeOutcome> {
  const port = portOf(action.port, t.ports);
  if (typeof port === 'string') return Promise.resolve({ result: 'failure', output: port });
  const host = typeof action.host === 'string' && action.host ? action.host : t.podIp;
  return new Promise((resolve) => {
    const socket = tcpConnect({ host, port });
    const done = (o: ProbeOutcome): void => {
      socket.destroy();
      resolve(o);
    };
    socket.setTimeout(t.timeoutSeconds * 1000, () => done({ result: 'failure', output: `dial tcp ${host}:${port}: i/o timeout` }));
    socket.once('connect', () => done({ result: 'success', output: '' }));
    socket.once('error', (err: NodeJS.ErrnoException) => done({ result: 'failure', output: dialError(err, `${host}:${port}`) }));
  });
}

/** pkg/probe/exec: exit 0 succeeds; else the command's output is the message. A command still running at the timeout fails. */
async function execProbe(action: Record<string, unknown>, t: ProbeTarget): Promise<ProbeOutcome> {
  const command = Array.isArray(action.command) ? action.command.map(String) : [];
  const container = t.docker.getContainer(t.containerId.replace(/^docker:\/\//, ''));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ProbeOutcome>((resolve) => {
    timer = setTimeout(() => resolve({ result: 'failure', output: `command ${JSON.stringify(command.join(' '))} timed out` }), t.timeoutSeconds * 1000);
  });
  const run = execInRaw(t.docker, container, command).then(
    (r): ProbeOutcome => (r.exitCode === 0 ? { result: 'success', output: '' } : { result: 'failure', output: Buffer.concat([r.stdout, r.stderr]).toString() }),
    // The runtime could not run the command at all: an error, which the kubelet reports as a failure too.
    (err: unknown): ProbeOutcome => ({ result: 'failure', output: err instanceof Error ? err.message : String(err) }),
  );
  try {
    return await Promise.race([run, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** pkg/probe/grpc: grpc.health.v1 Check answering SERVING. */
async function grpcProbe(action: Record<string, unknown>, t: ProbeTarget): Promise<ProbeOutcome> {
  const port = typeof action.port === 'number' ? action.port : Number(action.port);
  const service = typeof action.service === 'string' ? action.service : '';
  const answer = await probeGrpc({ port, service }, t.timeoutSeconds, { destination: t.podIp, localAddress: '0.0.0.0' }, t.userAgent);
  if (answer.status === 200) return { result: 'success', output: '' };
  return { result: 'failure', output: `timeout: failed to connect service "${t.podIp}:${port}" within ${t.timeoutSeconds}s, or service unhealthy` };
}

/** Runs the probe's action once. */
export function runProbe(action: Record<string, unknown>, t: ProbeTarget): Promise<ProbeOutcome> {
  if (isRecord(action.httpGet)) return httpProbe(action.httpGet, t);
  if (isRecord(action.tcpSocket)) return tcpProbe(action.tcpSocket, t);
  if (isRecord(action.exec)) return execProbe(action.exec, t);
  if (isRecord(action.grpc)) return grpcProbe(action.grpc, t);
  return Promise.resolve({ result: 'unknown', output: 'missing probe handler' });
}
