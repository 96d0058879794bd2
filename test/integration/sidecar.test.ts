// The sidecar in real pods: what it proxies and how, what bypasses it, and how it fails, as Istio's Envoy does.
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliOk, repoRoot, runCli } from './helpers/cli';
import { docker } from './helpers/docker';

const fixture = (name: string): string => resolve(repoRoot, 'test/fixtures/integration', name);
const inClient = (...cmd: string[]) => ['exec', 'client', '-n', 'mesh', '--', ...cmd];

async function accessLog(pod: string): Promise<string[]> {
  const logs = await cliOk(['logs', pod, '-n', 'mesh', '-c', 'istio-proxy']);
  return logs.stdout.split('\n').filter((l) => l.startsWith('['));
}

/** Connections the proxy's listeners took: use_original_dst hands each to the listener of its destination (0.0.0.0_80, …). */
async function outboundConnections(): Promise<number> {
  const stats = await cliOk(['exec', 'client', '-n', 'mesh', '-c', 'istio-proxy', '--', 'curl', '-s', 'http://127.0.0.1:15000/stats']);
  const counts = [...stats.stdout.matchAll(/^listener\.(?!admin)(.+)\.downstream_cx_total: (\d+)$/gm)];
  // A listener's counters appear with its first connection; none yet is 0.
  return counts.reduce((n, m) => n + Number(m[2]), 0);
}

/** Seconds until a server-first banner arrives, read with bash's /dev/tcp from the client app. */
async function bannerDelay(port: number): Promise<{ line: string; ms: number }> {
  const script = `s=$(date +%s%3N); exec 3<>/dev/tcp/banner.mesh/${port}; read -t 30 line <&3; e=$(date +%s%3N); echo "$((e-s)) $line"`;
  const r = await cliOk(inClient('bash', '-c', script));
  const [ms, ...rest] = r.stdout.trim().split(' ');
  return { ms: Number(ms), line: rest.join(' ').trim() };
}

beforeAll(async () => {
  await runCli(['down', '--all']);
  await cliOk(['up', fixture('sidecar.yaml')]);
});

afterAll(async () => {
  await runCli(['down', '--all']);
});

describe('the sidecar', () => {
  it('proxies through both sidecars and delivers from 127.0.0.6', async () => {
    const r = await cliOk(inClient('curl', '-sS', '-i', 'http://web.mesh.svc.cluster.local/ip'));
    expect(r.stdout).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(r.stdout).toMatch(/^server: envoy/m);
    expect(r.stdout).toMatch(/^x-envoy-upstream-service-time: \d+/m);
    expect(JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))).origin).toBe('127.0.0.6');
    const client = (await accessLog('client')).at(-1) ?? '';
    expect(client).toMatch(/"GET \/ip HTTP\/1\.1" 200 - via_upstream .* outbound\|80\|\|web\.mesh\.svc\.cluster\.local /);
    const server = (await accessLog('web')).at(-1) ?? '';
    expect(server).toMatch(/"GET \/ip HTTP\/1\.1" 200 .* inbound\|80\|\| 127\.0\.0\.6:\d+ 10\.244\.\d+\.\d+:80 /);
  });

  it('answers on admin 15000, health 15021 and Prometheus 15090 as Istio documents them', async () => {
    const proxy = (...cmd: string[]) => cliOk(['exec', 'client', '-n', 'mesh', '-c', 'istio-proxy', '--', ...cmd]);
    await cliOk(inClient('curl', '-sS', '-o', '/dev/null', 'http://web.mesh/get'));
    const clusters = await proxy('curl', '-s', 'http://127.0.0.1:15000/clusters');
    expect(clusters.stdout).toMatch(/^outbound\|80\|\|web\.mesh\.svc\.cluster\.local::10\.244\.\d+\.\d+:80::/m);
    const dump = JSON.parse((await proxy('curl', '-s', 'http://127.0.0.1:15000/config_dump')).stdout) as { configs: unknown[] };
    expect(dump.configs.length).toBeGreaterThan(0);
    const listeners = await proxy('curl', '-s', 'http://127.0.0.1:15000/listeners');
    expect(listeners.stdout).toMatch(/virtualOutbound::0\.0\.0\.0:15001/);
    const prom = await proxy('curl', '-s', 'http://127.0.0.1:15090/stats/prometheus');
    expect(prom.stdout).toMatch(/^istio_requests_total\{[^}]*response_code="200"[^}]*\} [1-9]/m);
    expect(prom.stdout).toMatch(/^istio_request_duration_milliseconds_bucket\{/m);
    // The flow events the live view reads: this request, with its cluster and original destination.
    const flows = await proxy('curl', '-s', 'http://127.0.0.1:15021/lab/flows?since=0&follow=0');
    const requests = flows.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; cluster?: string; originalDst?: { port: number } });
    expect(requests.some((e) => e.type === 'request' && e.cluster === 'outbound|80||web.mesh.svc.cluster.local' && e.originalDst?.port === 80)).toBe(true);
    // Debug logging, switched on at run time, shows up in the container's log.
    await proxy('curl', '-s', '-X', 'POST', 'http://127.0.0.1:15000/logging?level=debug');
    await cliOk(inClient('curl', '-sS', '-o', '/dev/null', 'http://web.mesh/headers'));
    const logs = await cliOk(['logs', 'client', '-n', 'mesh', '-c', 'istio-proxy', '--tail', '50']);
    expect(logs.stdout).toMatch(/\tdebug\t/);
    await proxy('curl', '-s', '-X', 'POST', 'http://127.0.0.1:15000/logging?level=info');
  });

  it('never sees traffic from uid 1337, to 127.0.0.1, or to an excluded port or range', async () => {
    const before = await outboundConnections();
    const logsBefore = (await accessLog('client')).length;
    const asProxy = await cliOk(['exec', 'client', '-n', 'mesh', '-c', 'istio-proxy', '--', 'curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', 'http://web.mesh/get']);
    expect(asProxy.stdout).toBe('200');
    const loopback = await cliOk(inClient('curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', 'http://127.0.0.1:15021/healthz/ready'));
    expect(loopback.stdout).toBe('200');
    const port = await cliOk(inClient('curl', '-sS', 'http://plain.outside:9000/ip'));
    expect(JSON.parse(port.stdout).origin).toMatch(/^10\.244\./); // from the pod, not from a proxy hop
    const range = await cliOk(inClient('curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', 'http://10.96.0.200/get'));
    expect(range.stdout).toBe('200');
    expect(await outboundConnections()).toBe(before);
    expect((await accessLog('client')).length).toBe(logsBefore);
    // The same kind of request, not excluded, is seen.
    await cliOk(inClient('curl', '-sS', '-o', '/dev/null', 'http://plain.outside/get'));
    expect(await outboundConnections()).toBe(before + 1);
  });

  it('holds a server-first protocol for the detection timeout on an undeclared port, not on tcp-', async () => {
    const declared = await bannerDelay(2526);
    expect(declared.line).toBe('220 sidecar-lab banner ready');
    expect(declared.ms).toBeLessThan(1000);
    const undeclared = await bannerDelay(2525);
    expect(undeclared.line).toBe('220 sidecar-lab banner ready');
    // Both sidecars sniff in turn: the client's, then the server's (the fixture's mesh says 1s each).
    expect(undeclared.ms).toBeGreaterThan(1800);
  });

  it('ALLOW_ANY passes unknown destinations through; REGISTRY_ONLY blocks them until a ServiceEntry', async () => {
    const plain = JSON.parse((await cliOk(['status', '--json'])).stdout).pods.find((p: { name: string }) => p.name === 'plain');
    const url = `http://${plain.ip}/get`;
    const curl = () => runCli(inClient('curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '-H', 'Host: api.example.com', url));
    expect((await curl()).stdout).toBe('200');
    expect((await accessLog('client')).at(-1)).toMatch(/ PassthroughCluster .* allow_any$/);

    await cliOk(['apply', fixture('registry-only.yaml')]);
    expect((await curl()).stdout).toBe('502');
    expect((await accessLog('client')).at(-1)).toMatch(/"GET \/get HTTP\/1\.1" 502 .* block_all$/);

    await cliOk(['apply', fixture('service-entry.yaml')]);
    expect((await curl()).stdout).toBe('200');
    expect((await accessLog('client')).at(-1)).toMatch(/ outbound\|80\|\|api\.example\.com /);
  });

  it('holds the app until the proxy is ready only when proxy.istio.io/config asks for it', async () => {
    const started = async (pod: string, container: string) =>
      Date.parse((await docker.getContainer(`sidecar-mesh-${pod}-${container}`).inspect()).State.StartedAt);
    expect(await started('held', 'app')).toBeGreaterThan(await started('held', 'istio-proxy'));
    const readyLine = (await cliOk(['logs', 'held', '-n', 'mesh', '-c', 'istio-proxy'])).stdout
      .split('\n')
      .find((l) => l.includes('Envoy proxy is ready'));
    expect(await started('held', 'app')).toBeGreaterThanOrEqual(Date.parse(readyLine!.split(/\s/)[0]));
    // Without the annotation the app starts first, as in Istio.
    expect(await started('client', 'client')).toBeLessThan(await started('client', 'istio-proxy'));
  });

  it('restarts a killed app at once, and answers 503 UH while it is held in CrashLoopBackOff out of the endpoints, as on a cluster', async () => {
    const status = JSON.parse((await cliOk(['status', '--json'])).stdout);
    const web = status.pods.find((p: { name: string }) => p.name.startsWith('web-'));
    const app = docker.getContainer(`sidecar-mesh-${web.name}-web`);
    // The kubelet restarts a killed app at once (restartPolicy Always); killed again, it waits
    // 10 s in CrashLoopBackOff, as on a cluster.
    const firstRun = (await app.inspect()).State.StartedAt;
    await app.kill();
    const restartDeadline = Date.now() + 15_000;
    for (;;) {
      const s = (await app.inspect()).State;
      if (s.Running && s.StartedAt !== firstRun) break;
      if (Date.now() > restartDeadline) throw new Error('the killed app was not restarted');
      await new Promise((res) => setTimeout(res, 100));
    }
    await app.kill();
    // The pod is no longer ready: the endpoints controller drops it and the sidecars are told.
    let r = await runCli(inClient('curl', '-s', '-w', '\n%{http_code}', 'http://web.mesh/get'));
    const deadline = Date.now() + 15_000;
    while (!r.stdout.includes('no healthy upstream') && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 300));
      r = await runCli(inClient('curl', '-s', '-w', '\n%{http_code}', 'http://web.mesh/get'));
    }
    expect(r.stdout.trim().split('\n')).toEqual(['no healthy upstream', '503']);
    const line = (await accessLog('client')).at(-1);
    expect(line).toMatch(/"GET \/get HTTP\/1\.1" 503 UH /);
    const ready = await cliOk(inClient('curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', 'http://127.0.0.1:15021/healthz/ready'));
    expect(ready.stdout).toBe('200');
  });
});
