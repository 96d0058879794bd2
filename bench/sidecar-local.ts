// Benchmark without Docker: the sidecar's CPU per HTTP/1.1 request and its latency, on loopback.
// The upstream app and each sidecar run in child processes; the parent is a raw-socket load generator.
//   node --expose-gc bin/run-ts.mjs bench/sidecar-local.ts [--duration S] [--rate N] [--paths direct,outbound,both]
//   (SIDECAR_BENCH_PROFILE=DIR: the sidecars write CPU profiles there)
import { fork, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { POD_NODE_TARGET } from '../src-main/lab/images/bundle';
import type { validateConfig } from '../src-pod/sidecar/config';
import type { Logger } from '../src-pod/sidecar/logger';
import type { Sidecar } from '../src-pod/sidecar/sidecar';

const POD_IP = '127.0.0.2';
const VIP = '10.96.0.10';
const SIZE = 1024;
const CONNECTIONS = 16;
const self = fileURLToPath(import.meta.url);
const runTs = resolve(import.meta.dirname, '../bin/run-ts.mjs');

type ChildMessage = { ready: Record<string, number> } | { usage: NodeJS.CpuUsage; rss: number };

// ---- children -------------------------------------------------------------------------------

/** The app: echoes the POSTed body back with content-length, like httpbin's /anything would. */
function runUpstream(): void {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, POD_IP, () => {
    const a = server.address();
    send({ ready: { http: typeof a === 'object' && a ? a.port : 0 } });
  });
}

interface SidecarBundle {
  Sidecar: typeof Sidecar;
  validateConfig: typeof validateConfig;
  Logger: typeof Logger;
}

/** The sidecar as the image runs it: one esbuild bundle for Node 18 (tsx would add its own helpers). */
async function bundleSidecar(): Promise<string> {
  const file = join(tmpdir(), `sidecar-local-${process.pid}.cjs`);
  await build({
    stdin: {
      contents: "export { Sidecar } from './sidecar'; export { validateConfig } from './config'; export { Logger } from './logger';",
      resolveDir: resolve(import.meta.dirname, '../src-pod/sidecar'),
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    target: POD_NODE_TARGET,
    format: 'cjs',
    outfile: file,
    logLevel: 'silent',
  });
  return file;
}

/** One sidecar; every redirected connection "meant" to reach `dst` (stands in for SO_ORIGINAL_DST). */
function runSidecar(bundle: string, dstText: string, configText: string): Promise<void> {
  const { Sidecar, validateConfig, Logger } = createRequire(import.meta.url)(bundle) as SidecarBundle;
  const [address, port] = [dstText.slice(0, dstText.lastIndexOf(':')), Number(dstText.slice(dstText.lastIndexOf(':') + 1))];
  const dst = { address, port };
  const sidecar = new Sidecar({
    outboundPort: 0,
    inboundPort: 0,
    adminPort: 0,
    healthPort: 0,
    prometheusPort: 0,
    agentPort: 0,
    statusAddress: '127.0.0.1',
    listenerHosts: ['127.0.0.1'],
    resolveOutboundDst: () => dst,
    resolveInboundDst: () => dst,
    logger: new Logger('warning'),
  });
  return sidecar
    .applyConfig(validateConfig(JSON.parse(configText)))
    .then(() => sidecar.start())
    .then(() => send({ ready: sidecar.ports() }));
}

function send(m: ChildMessage): void {
  process.send?.(m);
}

// ---- parent ---------------------------------------------------------------------------------

interface Child {
  proc: ChildProcess;
  ports: Record<string, number>;
}

function spawnChild(args: string[]): Promise<Child> {
  // SIDECAR_BENCH_PROFILE=DIR: each sidecar writes a V8 CPU profile there when the bench ends.
  const profile = process.env['SIDECAR_BENCH_PROFILE'];
  const execArgv = profile && args[0] === 'sidecar' ? [...process.execArgv, '--cpu-prof', `--cpu-prof-dir=${profile}`] : process.execArgv;
  // The access log goes to a pipe the parent drains, as a container runtime would.
  const proc = fork(runTs, [self, '--child', ...args], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], execArgv });
  proc.stdout?.on('data', () => undefined);
  return new Promise((resolveChild, reject) => {
    proc.once('error', reject);
    proc.once('exit', (code) => reject(new Error(`child ${args[0]} exited with ${code}`)));
    proc.on('message', (m: ChildMessage) => {
      if ('ready' in m) resolveChild({ proc, ports: m.ready });
    });
  });
}

/** A child's CPU time so far (µs) and its resident memory (bytes). */
function usage(c: Child): Promise<{ cpu: number; rss: number }> {
  return new Promise((resolveUsage) => {
    const onMessage = (m: ChildMessage): void => {
      if (!('usage' in m)) return;
      c.proc.off('message', onMessage);
      resolveUsage({ cpu: m.usage.user + m.usage.system, rss: m.rss });
    };
    c.proc.on('message', onMessage);
    c.proc.send('usage');
  });
}

function outboundConfig(endpoint: string, endpointPort: number): Record<string, unknown> {
  return {
    version: 'bench',
    pod: { name: 'client-1', namespace: 'mesh', ip: '127.0.0.1' },
    mesh: { outboundTrafficPolicy: { mode: 'ALLOW_ANY' }, accessLogFile: '/dev/stdout' },
    services: [
      {
        name: 'server',
        namespace: 'mesh',
        clusterIP: VIP,
        ports: [{ name: 'http', port: 80, targetPort: endpointPort }],
        endpoints: [{ address: endpoint, ports: { '80': endpointPort } }],
      },
    ],
    serviceEntries: [],
    inboundPorts: [],
  };
}

function inboundConfig(appPort: number): Record<string, unknown> {
  return {
    version: 'bench',
    pod: { name: 'server-1', namespace: 'mesh', ip: POD_IP },
    mesh: { outboundTrafficPolicy: { mode: 'ALLOW_ANY' }, accessLogFile: '/dev/stdout' },
    services: [],
    serviceEntries: [],
    inboundPorts: [{ port: appPort, name: 'http', service: 'server.mesh.svc.cluster.local' }],
  };
}

const REQUEST = Buffer.concat([
  Buffer.from(`POST /anything HTTP/1.1\r\nhost: server.mesh\r\ncontent-type: application/octet-stream\r\ncontent-length: ${SIZE}\r\n\r\n`, 'latin1'),
  Buffer.alloc(SIZE, 'x'),
]);

/** One keep-alive connection that knows only content-length responses (all this bench gets). */
class LoadConnection {
  private buf: Buffer = Buffer.alloc(0);
  private sentAt = 0;
  private resolveOne: ((ok: boolean) => void) | undefined;
  readonly socket: Socket;

  constructor(host: string, port: number) {
    this.socket = connect({ host, port, noDelay: true });
    this.socket.on('data', (c: Buffer) => this.onData(c));
    this.socket.on('error', () => this.resolveOne?.(false));
    this.socket.on('close', () => this.resolveOne?.(false));
  }

  send(): Promise<boolean> {
    this.sentAt = performance.now();
    this.socket.write(REQUEST);
    return new Promise((r) => (this.resolveOne = r));
  }

  get started(): number {
    return this.sentAt;
  }

  private onData(c: Buffer): void {
    this.buf = this.buf.length === 0 ? c : Buffer.concat([this.buf, c]);
    const end = this.buf.indexOf('\r\n\r\n');
    if (end === -1) return;
    const head = this.buf.toString('latin1', 0, end);
    const m = /\r\ncontent-length: *(\d+)/i.exec(head);
    const total = end + 4 + (m ? Number(m[1]) : 0);
    if (this.buf.length < total) return;
    const ok = head.startsWith('HTTP/1.1 200');
    this.buf = this.buf.subarray(total);
    const r = this.resolveOne;
    this.resolveOne = undefined;
    r?.(ok);
  }
}

interface Result {
  count: number;
  rps: number;
  errors: number;
  p50: number;
  p90: number;
  p99: number;
}

/** Closed loop on `CONNECTIONS` connections (rate 0), or an open-loop fixed rate spread over them. */
async function drive(target: { host: string; port: number }, seconds: number, rate: number): Promise<Result> {
  const conns = Array.from({ length: CONNECTIONS }, () => new LoadConnection(target.host, target.port));
  await Promise.all(
    conns.map(
      (c) =>
        new Promise((r, reject) => {
          c.socket.once('connect', r);
          c.socket.once('error', reject);
        }),
    ),
  );
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  // Rate mode: a 1 ms ticker deals due times round-robin to the connections' queues.
  const queues = conns.map(() => [] as number[]);
  const wake: ((() => void) | undefined)[] = conns.map(() => undefined);
  const worker = async (c: LoadConnection, i: number): Promise<void> => {
    while (performance.now() < end) {
      let due = performance.now();
      if (rate > 0) {
        if (queues[i].length === 0) {
          await new Promise<void>((r) => (wake[i] = r));
          continue;
        }
        due = queues[i].shift() as number;
      }
      const ok = await c.send();
      if (!ok) errors++;
      // From when the request was due, so queueing shows (no coordinated omission).
      latencies.push(performance.now() - due);
      if (c.socket.destroyed) return;
    }
  };
  let ticker: NodeJS.Timeout | undefined;
  if (rate > 0) {
    let n = 0;
    ticker = setInterval(() => {
      const now = performance.now();
      for (let due = started + (n * 1000) / rate; due <= now; due = started + (n * 1000) / rate) {
        const i = n++ % CONNECTIONS;
        if (due < end) queues[i].push(due);
        const w = wake[i];
        wake[i] = undefined;
        w?.();
      }
    }, 1);
  }
  await Promise.all(conns.map((c, i) => worker(c, i)));
  if (ticker) clearInterval(ticker);
  const elapsed = (performance.now() - started) / 1000;
  for (const c of conns) c.socket.destroy();
  const sorted = Float64Array.from(latencies).sort();
  const pct = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
  return { count: latencies.length, rps: Math.round(latencies.length / elapsed), errors, p50: pct(50), p90: pct(90), p99: pct(99) };
}

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : (process.argv[i + 1] ?? fallback);
}

export async function benchSidecarLocal(seconds: number, rate: number, paths: string[]): Promise<void> {
  const children: Child[] = [];
  const bundle = await bundleSidecar();
  try {
    const app = await spawnChild(['upstream']);
    children.push(app);
    const appPort = app.ports['http'];
    const server = await spawnChild(['sidecar', bundle, `${POD_IP}:${appPort}`, JSON.stringify(inboundConfig(appPort))]);
    const clientBoth = await spawnChild(['sidecar', bundle, `${VIP}:80`, JSON.stringify(outboundConfig('127.0.0.1', server.ports['inbound']))]);
    const clientOnly = await spawnChild(['sidecar', bundle, `${VIP}:80`, JSON.stringify(outboundConfig(POD_IP, appPort))]);
    children.push(server, clientBoth, clientOnly);
    const targets: Record<string, { host: string; port: number; proxies: Child[] }> = {
      direct: { host: POD_IP, port: appPort, proxies: [] },
      outbound: { host: '127.0.0.1', port: clientOnly.ports['outbound'], proxies: [clientOnly] },
      both: { host: '127.0.0.1', port: clientBoth.ports['outbound'], proxies: [clientBoth, server] },
    };
    const mode = rate > 0 ? `open loop at ${rate} req/s` : 'closed loop';
    console.log(`\nsidecar-local: 1 KB POST echo, ${CONNECTIONS} keep-alive connections, ${mode}, ${seconds} s per path (node ${process.version})`);
    console.log(['path', 'req/s', 'errors', 'p50 ms', 'p90 ms', 'p99 ms'].map((c, i) => (i === 0 ? c.padEnd(10) : c.padStart(9))).join('') + 'proxy CPU µs/req'.padStart(22) + 'proxy RSS MiB'.padStart(18));
    for (const name of paths) {
      const t = targets[name];
      if (!t) throw new Error(`unknown path ${name} (direct, outbound, both)`);
      await drive(t, Math.min(2, seconds), rate); // warm-up: JIT and connection pools
      const before = await Promise.all(t.proxies.map(usage));
      const r = await drive(t, seconds, rate);
      const after = await Promise.all(t.proxies.map(usage));
      const perReq = t.proxies.map((_p, i) => Math.round((after[i].cpu - before[i].cpu) / r.count)).join(' + ') || '-';
      const rss = after.map((u) => (u.rss / 1048576).toFixed(0)).join(' + ') || '-';
      const row = [name, String(r.rps), String(r.errors), r.p50.toFixed(3), r.p90.toFixed(3), r.p99.toFixed(3)];
      console.log(row.map((c, i) => (i === 0 ? c.padEnd(10) : c.padStart(9))).join('') + perReq.padStart(22) + rss.padStart(18));
    }
  } finally {
    // Disconnecting lets a child exit by itself (and write a --cpu-prof profile); kill if it hangs.
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((done) => {
            c.proc.removeAllListeners('exit');
            const timer = setTimeout(() => c.proc.kill(), 3000);
            c.proc.once('exit', () => {
              clearTimeout(timer);
              done();
            });
            c.proc.disconnect();
          }),
      ),
    );
    rmSync(bundle, { force: true });
  }
}

if (process.argv.includes('--child')) {
  const args = process.argv.slice(process.argv.indexOf('--child') + 1);
  process.on('message', (m) => {
    if (m === 'usage') send({ usage: process.cpuUsage(), rss: process.memoryUsage().rss });
  });
  process.on('disconnect', () => process.exit(0));
  if (args[0] === 'upstream') runUpstream();
  else await runSidecar(args[1], args[2], args[3]);
} else if (resolve(process.argv[1] ?? '') === self) {
  await benchSidecarLocal(Number(flag('duration', '5')), Number(flag('rate', '0')), flag('paths', 'direct,outbound,both').split(','));
}
