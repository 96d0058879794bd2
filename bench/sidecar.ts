// Benchmark: the sidecar's cost as Istio's benchmark measures it (`sidecar-lab perf` on the `performance` scenario), against loopback, the bare relay and the live capture.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import WebSocket from 'ws';
import { cli, lab, root } from './lab-cli';
import { captureGroups, cpuByGroup, readProcs } from './process-cpu';

interface ModeJson {
  mode: string;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  qps: number;
  errors: number;
  skipped: number;
  calls: number;
  connections?: number;
  proxies: { name: string; cpu: number; memoryMB: number }[];
}

const DEMO = resolve(root, 'src-pod/demo/main.ts');

/** A mesh config with the access log off, as Istio's default profile has it. */
function accessLogOff(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'sidecar-lab-bench-')), 'access-log-off.yaml');
  writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio\n  namespace: istio-system\ndata:\n  mesh: |\n    accessLogFile: ""\n');
  return file;
}

/**
 * `perf --json`; it exits 1 when a mode had errors, and the figures still count (they show the errors).
 * Asynchronous: this process also holds the capture's client, which must keep reading during the load
 * as the window does (a spawnSync here once left it unread, its stream idle, for the whole run).
 */
async function perf(args: string[]): Promise<ModeJson[]> {
  const child = spawn(process.execPath, [cli, 'perf', '--json', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const status = await new Promise<number | null>((done) => child.on('close', done));
  if (status !== 0 && status !== 1) throw new Error(`sidecar-lab perf ${args.join(' ')} failed:\n${err}`);
  return (JSON.parse(out) as { modes: ModeJson[] }).modes;
}

/** The same echo server and load generator on the host's loopback, with no Docker in the way. */
async function loopback(load: string[]): Promise<ModeJson> {
  const server = spawn(process.execPath, ['--import', 'tsx', DEMO, 'fortio', 'server', '-http-port', '127.0.0.1:0'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<string>((done, fail) => {
      let out = '';
      server.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (\d+)/.exec(out);
        if (m) done(m[1]);
      });
      server.on('exit', (code) => fail(new Error(`the loopback echo server exited ${code}`)));
    });
    const run = spawn(process.execPath, ['--import', 'tsx', DEMO, 'fortio', 'load', '-json', '-', '-uniform', '-nocatchup', ...load, `http://127.0.0.1:${port}/echo`], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let json = '';
    run.stdout.on('data', (d: Buffer) => (json += d.toString()));
    await new Promise((done) => run.on('exit', done));
    const r = JSON.parse(json) as { ActualQPS: number; DurationHistogram: { Count: number; Max: number; Percentiles: { Percentile: number; Value: number }[] }; RetCodes: Record<string, number>; Skipped: number };
    const p = (n: number): number => (r.DurationHistogram.Percentiles.find((x) => x.Percentile === n)?.Value ?? NaN) * 1000;
    const errors = Object.entries(r.RetCodes).reduce((n, [c, k]) => (c === '200' ? n : n + k), 0);
    return { mode: 'loopback', p50: p(50), p90: p(90), p99: p(99), max: r.DurationHistogram.Max * 1000, qps: r.ActualQPS, errors, skipped: r.Skipped, calls: r.DurationHistogram.Count, proxies: [] };
  } finally {
    server.kill('SIGTERM');
  }
}

/** What the capture's client received: messages on the flow stream, the flows they carried, and the requests those stand for. */
interface Received {
  messages: number;
  flows: number;
  /** Requests in the flows' last versions: one per request flow, or the count a per-connection summary folds. */
  requests: number;
  bytes: number;
}

/** `serve` following the lab with a client on its flow stream: the window's capture, on, with its client reading as the window does. */
async function captureOn(): Promise<{ stop: () => void; received: () => Received; mark: () => void; settled: () => Promise<void>; pid: number | undefined }> {
  const serve: ChildProcess = spawn(process.execPath, [cli, 'serve', '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const capturing = new Promise<void>((done) => {
    let err = '';
    serve.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('capturing flows in lab')) done();
    });
  });
  const url = await new Promise<string>((done, fail) => {
    let out = '';
    serve.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) done(out.split('\n')[0]);
    });
    serve.on('exit', (code) => fail(new Error(`serve exited ${code}`)));
  });
  const ws = new WebSocket(url.replace(/^http/, 'ws'));
  // The latest version of each flow (a flow is sent again as it changes), since `mark()`.
  let latest = new Map<string, { protocol?: string; responseCode?: number; requests?: number }>();
  let messages = 0;
  let bytes = 0;
  let last = performance.now();
  ws.on('message', (raw: Buffer) => {
    // Parsed as the window parses it; only the flow stream's data counts.
    const m = JSON.parse(raw.toString()) as { stream?: string; type?: string; payload?: { id: string; protocol?: string; responseCode?: number; requests?: number } };
    if (m.stream !== 'flows' || m.type !== 'data' || !m.payload) return;
    messages++;
    bytes += raw.length;
    last = performance.now();
    latest.set(m.payload.id, m.payload);
  });
  // The window's Flows view: a subscription to the flow stream.
  await new Promise((done, fail) => {
    ws.once('open', done);
    ws.once('error', fail);
  });
  ws.send(JSON.stringify({ id: 1, subscribe: 'flows', key: '' }));
  await capturing;
  return {
    stop: () => {
      ws.close();
      serve.kill('SIGTERM');
    },
    received: () => ({
      messages,
      bytes,
      flows: latest.size,
      requests: [...latest.values()].reduce((n, f) => (f.protocol === 'http' && f.responseCode !== undefined ? n + (f.requests ?? 1) : n), 0),
    }),
    mark: () => {
      latest = new Map();
      messages = 0;
      bytes = 0;
    },
    // The last flows of a run (a summary waits up to a second, the capture's join a little more) before the next run.
    settled: async () => {
      while (performance.now() - last < 2000) await new Promise((r) => setTimeout(r, 250));
    },
    pid: serve.pid,
  };
}

/** `perf ARGS` with the host's CPU per process group over the call (the engine, the taps, the flow streams, `serve`). */
async function perfWithProcesses(args: string[], servePid?: number): Promise<{ modes: ModeJson[]; processes: Record<string, number> }> {
  const before = readProcs();
  const t0 = performance.now();
  const modes = await perf(args);
  const seconds = (performance.now() - t0) / 1000;
  return { modes, processes: cpuByGroup(before, readProcs(), seconds, captureGroups(servePid)) };
}

function processLine(label: string, p: Record<string, number>): string {
  const parts = Object.entries(p)
    .sort((a, b) => b[1] - a[1])
    .map(([name, cpu]) => `${name} ${f(cpu, 3)}`);
  return `${label.padEnd(30)}${parts.join('; ') || '-'}`;
}

const f = (n: number, digits = 2): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');

function row(m: ModeJson): string {
  const proxies = m.proxies.map((p) => `${p.name.split('/').slice(1).join('/')} ${f(p.cpu, 3)} vCPU (${f((p.cpu * 1000) / m.qps, 3)}/1000 qps) ${f(p.memoryMB, 1)} MB`).join('; ');
  return `${m.mode.padEnd(22)}${[m.p50, m.p90, m.p99, m.max].map((v) => f(v, 3).padStart(9)).join('')}${f(m.qps, 1).padStart(9)}${String(m.errors).padStart(7)}${String(m.skipped).padStart(8)}  ${proxies}`;
}

export async function benchSidecar(durationS: number): Promise<void> {
  const d = String(durationS);
  const fixed = ['--qps', '1000', '--connections', '16', '--payload', '1024', '--duration', d];
  const fast = ['--qps', '0', '--connections', '16', '--payload', '1024', '--duration', String(Math.max(3, durationS / 2))];
  // Loopback first, with no lab running: the same programs, the host's network stack only.
  const loopFixed = await loopback(['-qps', '1000', '-c', '16', '-payload-size', '1024', '-t', `${d}s`]);
  const loopFast = await loopback(['-qps', '0', '-c', '16', '-payload-size', '1024', '-t', `${Math.max(3, durationS / 2)}s`]);
  lab(['down', '--all']);
  lab(['up', 'performance']);
  try {
    // Warm-up: JIT in the proxies and the server, conntrack entries.
    await perf(['--mode', 'both', '--mode', 'relay', '--qps', '500', '--duration', '2']);
    const modes = await perf(fixed);
    const top = await perf(['--mode', 'baseline', '--mode', 'both', '--mode', 'relay', ...fast]);
    // Istio's default profile writes no access log; the lab's scenarios log every request (the demo profile's choice).
    lab(['apply', accessLogOff()]);
    const quietRun = await perfWithProcesses(['--mode', 'both', ...fixed]);
    const quiet = quietRun.modes.concat(await perf(['--mode', 'both', ...fast])).map((m, i) => ({ ...m, mode: i === 0 ? 'both, no access log' : 'both, no access log, max qps' }));
    const capture = await captureOn();
    let captured: ModeJson[];
    let capturedProcesses: Record<string, number>;
    let received: Received;
    try {
      const base = await perf(['--mode', 'baseline', ...fixed]);
      // What the window would have received for the both-sidecars run, from its start to its last flow.
      await capture.settled();
      capture.mark();
      const both = await perfWithProcesses(['--mode', 'both', ...fixed], capture.pid);
      await capture.settled();
      received = capture.received();
      capturedProcesses = both.processes;
      captured = [...base, ...both.modes].map((m) => ({ ...m, mode: `${m.mode}, capture on` }));
    } finally {
      capture.stop();
    }
    // Istio's connection sweep, baseline and both sidecars (BENCH_SWEEP=0 leaves it out).
    const sweep = process.env['BENCH_SWEEP'] === '0' ? [] : await perf(['--mode', 'baseline', '--mode', 'both', '--connections', 'sweep', '--qps', '1000', '--duration', String(Math.max(2, durationS / 4))]);
    console.log(`\nsidecar cost (sidecar-lab perf, scenario performance): 1 KB POST, 16 connections, 1000 qps for ${d} s, uniform, no catch-up; max = -qps 0`);
    console.log(`${'mode'.padEnd(22)}${['p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'qps', 'errors', 'skipped'].map((h, i) => h.padStart(i < 5 ? 9 : i === 5 ? 7 : 8)).join('')}  proxies`);
    for (const m of [{ ...loopFixed, mode: 'loopback (host)' }, ...modes, quiet[0], ...captured]) console.log(row(m));
    for (const m of [{ ...loopFast, mode: 'loopback, max qps' }, ...top.map((t) => ({ ...t, mode: `${t.mode}, max qps` })), quiet[1]]) console.log(row(m));
    const by = (list: ModeJson[], mode: string) => list.find((m) => m.mode === mode || m.mode.startsWith(`${mode},`))!;
    const base = by(modes, 'baseline');
    const both = by(modes, 'both');
    const relay = by(modes, 'relay');
    const added = (m: ModeJson, b: ModeJson = base): number => m.p90 - b.p90;
    console.log(`lab's direct path at max qps: ${f((by(top, 'baseline').qps / loopFast.qps) * 100, 0)} % of loopback (target ≥ 60 %)`);
    console.log(`added p90, both sidecars: ${f(added(both), 3)} ms; bare relay ${f(added(relay), 3)} ms: ${f(added(both) / added(relay))} × (target ≤ 2 ×)`);
    console.log(`added p90, both sidecars, access log off: ${f(added(quiet[0]), 3)} ms: ${f(added(quiet[0]) / added(relay))} × the bare relay's`);
    for (const p of both.proxies) console.log(`${p.name}: ${f((p.cpu * 1000) / both.qps, 3)} vCPU per 1000 qps (Istio's Envoy: 0.20), ${f(p.memoryMB, 1)} MB`);
    const capBase = by(captured, 'baseline');
    const capBoth = by(captured, 'both');
    // Each request crosses both sidecars, and each proxy reports it: when nothing is lost, twice the load's calls and its warm-up call per connection.
    const expected = 2 * (capBoth.calls + 16);
    const seen = `${received.messages} flow messages (${f(received.bytes / 1e6, 1)} MB) to its client, ${received.flows} flows standing for ${received.requests} requests of the ${expected} both sidecars handled (${capBoth.calls} calls and 16 warm-up calls, × 2)`;
    console.log(`capture on (serve following the lab; during both, capture on: ${seen}): added p90 both ${f(added(capBoth, capBase), 3)} ms, ${f(added(capBoth, capBase) / added(quiet[0]))} × capture off (both with the access log off, as during the capture run; target ≤ 1.5 ×)`);
    console.log(`  p90/p99/max both: capture off ${[quiet[0].p90, quiet[0].p99, quiet[0].max].map((v) => f(v, 1)).join('/')} ms, on ${[capBoth.p90, capBoth.p99, capBoth.max].map((v) => f(v, 1)).join('/')} ms`);
    console.log('host CPU (vCPU) over the both-sidecars run, by process group (the proxies\' own: in the table above):');
    console.log(processLine('  capture off', quietRun.processes));
    console.log(processLine('  capture on', capturedProcesses));
    if (sweep.length > 0) {
      console.log(`\nconnection sweep (Istio's 1,2,4,8,16,32,64), 1000 qps, ${Math.max(2, durationS / 4)} s each: p50/p90/p99/max ms, added p90`);
      for (const c of [...new Set(sweep.map((m) => m.connections))]) {
        const at = sweep.filter((m) => m.connections === c);
        const b = at.find((m) => m.mode === 'baseline');
        const s2 = at.find((m) => m.mode === 'both');
        const cell = (m: ModeJson | undefined): string => (m ? [m.p50, m.p90, m.p99, m.max].map((v) => f(v, 2)).join('/') : '-');
        console.log(`  c=${String(c).padEnd(3)} baseline ${cell(b).padEnd(28)} both ${cell(s2).padEnd(28)} added p90 ${b && s2 ? f(s2.p90 - b.p90, 3) : '-'} ms`);
      }
    }
  } finally {
    lab(['down']);
  }
}
