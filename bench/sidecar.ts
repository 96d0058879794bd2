// Benchmark: what the sidecar costs, in the `performance` scenario: latency at a fixed rate and top throughput, direct vs one vs two sidecars.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { lab } from './lab-cli';

/** Istio's default install profile logs no access; the lab's scenarios log every request (as the demo profile). */
function accessLogOff(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'sidecar-lab-bench-')), 'access-log-off.yaml');
  writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio\n  namespace: istio-system\ndata:\n  mesh: |\n    accessLogFile: ""\n');
  return file;
}

interface LoadResult {
  sent: number;
  ok: number;
  errors: number;
  achievedRps: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
}

function load(clientNs: string, url: string, flags: string[]): LoadResult {
  const out = lab(['exec', 'client', '-n', clientNs, '--', 'demo', 'load', url, ...flags]);
  return JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as LoadResult;
}

interface ProxyUsage {
  cpuPercent: number;
  memoryMiB: number;
}

/** CPU (share of one core over the interval) and memory of the sidecars, from the engine's stats. */
async function proxyUsage(docker: Docker, names: string[], run: () => void): Promise<ProxyUsage[]> {
  const cpu = async (n: string) => {
    const s = (await docker.getContainer(n).stats({ stream: false })) as unknown as {
      cpu_stats: { cpu_usage: { total_usage: number } };
      memory_stats: { usage: number; stats?: { inactive_file?: number } };
    };
    return { ns: s.cpu_stats.cpu_usage.total_usage, mem: s.memory_stats.usage - (s.memory_stats.stats?.inactive_file ?? 0) };
  };
  const before = await Promise.all(names.map(cpu));
  const t0 = process.hrtime.bigint();
  run();
  const elapsedNs = Number(process.hrtime.bigint() - t0);
  const after = await Promise.all(names.map(cpu));
  return names.map((_, i) => ({
    cpuPercent: Math.round(((after[i].ns - before[i].ns) / elapsedNs) * 1000) / 10,
    memoryMiB: Math.round((after[i].mem / 1048576) * 10) / 10,
  }));
}

export async function benchSidecar(durationS: number): Promise<void> {
  const docker = new Docker();
  lab(['down', '--all']);
  lab(['up', 'performance']);
  try {
    const paths = [
      { name: 'direct (no sidecars)', ns: 'plain', url: 'http://server.plain/anything' },
      { name: 'client sidecar only', ns: 'mesh', url: 'http://server.plain/anything' },
      { name: 'both sidecars', ns: 'mesh', url: 'http://server.mesh/anything' },
    ];
    const fixed = ['--rate', '1000', '--connections', '16', '--size', '1024', '--duration', String(durationS)];
    const flat = ['--rate', '0', '--connections', '16', '--size', '1024', '--duration', String(Math.max(3, durationS / 2))];
    // Warm-up: JIT, connection pools, conntrack entries.
    for (const p of paths) load(p.ns, p.url, ['--rate', '500', '--connections', '16', '--duration', '2']);
    const rows: string[][] = [];
    let usage: ProxyUsage[] = [];
    const rowFor = async (p: (typeof paths)[number], measureUsage: boolean): Promise<string[]> => {
      let fixedResult: LoadResult | undefined;
      const measure = () => {
        fixedResult = load(p.ns, p.url, fixed);
      };
      if (measureUsage) usage = await proxyUsage(docker, ['performance-mesh-client-istio-proxy', 'performance-mesh-server-istio-proxy'], measure);
      else measure();
      const top = load(p.ns, p.url, flat);
      const f = fixedResult!;
      return [p.name, f.latencyMs.p50.toFixed(2), f.latencyMs.p90.toFixed(2), f.latencyMs.p99.toFixed(2), String(f.achievedRps), String(f.errors), String(top.achievedRps)];
    };
    for (const p of paths) rows.push(await rowFor(p, p.name === 'both sidecars'));
    // The same with the sidecars' access log off, pushed to the running proxies.
    lab(['apply', accessLogOff()]);
    load('mesh', paths[2].url, ['--rate', '500', '--connections', '16', '--duration', '2']);
    rows.push(await rowFor({ ...paths[2], name: 'both, no access log' }, false));
    console.log(`\nsidecar cost, scenario performance: 1 KB POST bodies, 16 connections; latency at a fixed 1000 req/s for ${durationS} s; top = closed loop`);
    const header = ['path', 'p50 ms', 'p90 ms', 'p99 ms', 'req/s', 'errors', 'top req/s'];
    for (const r of [header, ...rows]) console.log(r[0].padEnd(22) + r.slice(1).map((c) => c.padStart(10)).join(''));
    const direct = rows[0];
    const both = rows[2];
    const one = rows[1];
    console.log(`added p90, both sidecars: ${(Number(both[2]) - Number(direct[2])).toFixed(2)} ms; with no access log ${(Number(rows[3][2]) - Number(direct[2])).toFixed(2)} ms (target ≤ 0.25 ms)`);
    console.log(`top throughput through one sidecar: ${Math.round((Number(one[6]) / Number(direct[6])) * 100)}% of direct (target ≥ 50%)`);
    console.log(`sidecars at 1000 req/s: client proxy ${usage[0]?.cpuPercent}% CPU, ${usage[0]?.memoryMiB} MiB; server proxy ${usage[1]?.cpuPercent}% CPU, ${usage[1]?.memoryMiB} MiB`);
  } finally {
    lab(['down']);
  }
}
