// pilot-agent's status port (15020) on a real lab: the kubelet's view of ready, the app's rewritten probes, merged metrics.
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliOk, repoRoot, runCli } from './helpers/cli';

const fixture = resolve(repoRoot, 'test/fixtures/integration/pilot-agent.yaml');
let ip = '';

/**
 * curl to the web pod's IP from a pod without a sidecar, as the kubelet probes from the node
 * (istio-init leaves 15020 and 15021 uncaptured): the HTTP code, the body and the response headers.
 */
async function probe(port: number, path: string, ...extra: string[]): Promise<{ code: string; body: string; headers: string }> {
  const r = await runCli(['exec', '--lab', 'pilot-agent', 'kubelet', '-n', 'mesh', '--', 'bash', '-c',
    `curl -sS -D /tmp/h -o /tmp/b -w '%{http_code}' --max-time 10 ${extra.join(' ')} 'http://${ip}:${port}${path}'; echo; cat /tmp/h; echo '--body--'; cat /tmp/b; rm -f /tmp/h /tmp/b`]);
  const [head, body = ''] = r.stdout.split('--body--\n');
  const [code, ...headers] = head.split('\n');
  return { code: code.trim(), body, headers: headers.join('\n') };
}

beforeAll(async () => {
  await runCli(['down', '--lab', 'pilot-agent']);
  await cliOk(['up', fixture]);
  const status = JSON.parse((await cliOk(['status', '--json', '--lab', 'pilot-agent'])).stdout) as { pods: { name: string; ip: string }[] };
  const web = status.pods.find((p) => p.name.startsWith('web-'));
  ip = web?.ip ?? '';
});

afterAll(async () => {
  await runCli(['down', '--lab', 'pilot-agent']);
});

describe('readiness: 15020 and the 15021 route in front of it', () => {
  it('answers 200 on both; 15021 carries Envoy\'s headers', async () => {
    expect(await probe(15020, '/healthz/ready')).toMatchObject({ code: '200', body: '' });
    const viaEnvoy = await probe(15021, '/healthz/ready');
    expect(viaEnvoy.code).toBe('200');
    expect(viaEnvoy.headers).toMatch(/^server: envoy/im);
  });
});

describe('/app-health: the probes the injector rewrote', () => {
  it("readyz: the app's /headers through the agent, Host with the app's port, from the kubelet's user agent", async () => {
    const r = await probe(15020, '/app-health/web/readyz', '-H', "'User-Agent: kube-probe/1.30'");
    expect(r.code).toBe('200');
    const seen = JSON.parse(r.body) as { headers: Record<string, string> };
    expect(seen.headers.Host).toBe(`${ip}:80`);
    expect(seen.headers['User-Agent']).toBe('kube-probe/1.30');
    // From 127.0.0.6 the agent's probe is not redirected to its own inbound listener, which would add these.
    expect(seen.headers['X-Forwarded-Proto']).toBeUndefined();
    expect(seen.headers['X-Request-Id']).toBeUndefined();
  });

  it("livez: the app's 503 is the probe's 503", async () => {
    expect((await probe(15020, '/app-health/web/livez')).code).toBe('503');
  });

  it('startupz: a TCP probe of 8081 is 200', async () => {
    expect(await probe(15020, '/app-health/web/startupz')).toMatchObject({ code: '200', body: '' });
  });

  it('a container the injector wrote no prober for is 400', async () => {
    expect(await probe(15020, '/app-health/other/livez')).toMatchObject({ code: '400', body: 'app prober config does not exists for /app-health/other/livez' });
  });
});

describe('/stats/prometheus merged', () => {
  it("has the agent's metrics, Envoy's, then the app's /anything/metrics", async () => {
    const r = await probe(15020, '/stats/prometheus');
    expect(r.code).toBe('200');
    const agent = r.body.indexOf('istio_agent_scrapes_total ');
    const envoy = r.body.indexOf('envoy_server_live');
    const app = r.body.indexOf('"url": "http://localhost:8081/anything/metrics"');
    expect(agent).toBeGreaterThanOrEqual(0);
    expect(envoy).toBeGreaterThan(agent);
    expect(app).toBeGreaterThan(envoy);
  });
});

describe('/quitquitquit and /drain', () => {
  it('refuse a caller that is not on loopback', async () => {
    expect(await probe(15020, '/quitquitquit', '-X', 'POST')).toMatchObject({ code: '403', body: 'Only requests from localhost are allowed\n' });
    expect((await probe(15020, '/drain', '-X', 'POST')).code).toBe('403');
  });
});
