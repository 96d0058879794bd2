// pilot-agent's status port of an in-process sidecar, against real loopback apps: ready, app probes, merged metrics, quit and drain.
import { createServer as createHttp2Server, type Http2Server } from 'node:http2';
import { createServer, request, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { healthHandler } from '../../../src-pod/sidecar/admin/endpoints';
import { Logger } from '../../../src-pod/sidecar/logger';
import { validateConfig } from '../../../src-pod/sidecar/config';
import { Sidecar, type SidecarOptions } from '../../../src-pod/sidecar/sidecar';
import type { AgentEnv } from '../../../src-pod/sidecar/agent/agent-env';
import { baseConfig, call, closeServer, httpVia, listenHttp, listenTcp, startSidecar } from './helpers';

let cleanup: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

interface Seen {
  host: string | undefined;
  userAgent: string | undefined;
  remote: string | undefined;
  path: string | undefined;
}

/** An app on 127.0.0.1 whose handler picks the answer per path; records what the probe looked like. */
async function app(handle: (path: string, res: ServerResponse) => void): Promise<{ port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    seen.push({ host: req.headers.host, userAgent: req.headers['user-agent'], remote: req.socket.remoteAddress, path: req.url });
    handle(req.url ?? '/', res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => closeServer(server));
  const a = server.address();
  return { port: typeof a === 'object' && a ? a.port : 0, seen };
}

/** `config` null: no config yet. */
async function sidecar(env: AgentEnv, config: unknown = baseConfig(), extra: Partial<SidecarOptions> = {}): Promise<{ s: Sidecar; ports: Record<string, number> }> {
  const s = new Sidecar({
    outboundPort: 0,
    inboundPort: 0,
    adminPort: 0,
    healthPort: 0,
    prometheusPort: 0,
    agentPort: 0,
    statusAddress: '127.0.0.1',
    listenerHosts: ['127.0.0.1'],
    resolveOutboundDst: () => undefined,
    resolveInboundDst: () => undefined,
    accessLogWrite: () => undefined,
    logger: new Logger('error', () => undefined),
    agentEnv: { INSTANCE_IP: '127.0.0.1', ...env },
    ...extra,
  });
  if (config !== null) await s.applyConfig(validateConfig(config));
  await s.start();
  cleanup.push(() => s.close());
  return { s, ports: s.ports() };
}

function get(port: number, path: string, headers: IncomingHttpHeaders = {}, method = 'GET'): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

const probers = (map: Record<string, unknown>): AgentEnv => ({ ISTIO_KUBE_APP_PROBERS: JSON.stringify(map) });

describe('/healthz/ready on 15020 and on 15021', () => {
  it('is 503 until a config is in, then 200 with an empty body; 15021 is Envoy in front of it', async () => {
    const { s, ports } = await sidecar({}, null);
    expect(await get(ports.agent, '/healthz/ready')).toMatchObject({ status: 503, body: '' });
    const viaEnvoy = await get(ports.health, '/healthz/ready');
    expect(viaEnvoy.status).toBe(503);
    expect(viaEnvoy.headers.server).toBe('envoy');
    await s.applyConfig(validateConfig(baseConfig()));
    const ok = await get(ports.agent, '/healthz/ready');
    expect(ok).toMatchObject({ status: 200, body: '' });
    expect(ok.headers['content-length']).toBe('0');
    expect(ok.headers.server).toBeUndefined();
    const ok15021 = await get(ports.health, '/healthz/ready');
    expect(ok15021.status).toBe(200);
    expect(ok15021.headers['x-envoy-upstream-service-time']).toMatch(/^\d+$/);
  });

  it("15021 without the agent behind it is Envoy's 503 for a refused upstream", async () => {
    const gone = await listenTcp((x) => x.destroy());
    await closeServer(gone.server);
    const { s } = await sidecar({});
    const control = Object.assign(Object.create(s) as Sidecar, { ports: () => ({ ...s.ports(), agent: gone.port }) });
    const health = createServer(healthHandler(control));
    await new Promise<void>((r) => health.listen(0, '127.0.0.1', r));
    cleanup.push(() => closeServer(health));
    const a = health.address();
    const r = await get(typeof a === 'object' && a ? a.port : 0, '/healthz/ready');
    expect(r.status).toBe(503);
    expect(r.headers.server).toBe('envoy');
    expect(r.body).toBe(
      'upstream connect error or disconnect/reset before headers. reset reason: remote connection failure, transport failure reason: delayed connect error: Connection refused',
    );
  });

  it('answers Go ServeMux 404 on paths it does not serve', async () => {
    const { ports } = await sidecar({});
    const r = await get(ports.agent, '/nope');
    expect(r).toMatchObject({ status: 404, body: '404 page not found\n' });
    expect(r.headers['x-content-type-options']).toBe('nosniff');
  });
});

describe('/app-health/<container>/<kind>: HTTP', () => {
  it("answers with the app's code and body, from 127.0.0.6, with the kubelet's headers and the app's port in Host", async () => {
    const a = await app((path, res) => {
      if (path === '/ready') res.writeHead(503).end('warming up');
      else res.writeHead(200).end('ok');
    });
    const { ports } = await sidecar(probers({ '/app-health/web/readyz': { httpGet: { path: '/ready', port: a.port } }, '/app-health/web/livez': { httpGet: { path: 'alive', port: a.port } } }));
    const ready = await get(ports.agent, '/app-health/web/readyz', { 'user-agent': 'kube-probe/1.30', host: `127.0.0.1:${ports.agent}` });
    expect(ready).toMatchObject({ status: 503, body: 'warming up' });
    expect(ready.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(a.seen[0]).toEqual({ host: `127.0.0.1:${a.port}`, userAgent: 'kube-probe/1.30', remote: '127.0.0.6', path: '/ready' });
    // A path without its leading slash gets one, as the agent adds it.
    expect(await get(ports.agent, '/app-health/web/livez')).toMatchObject({ status: 200, body: 'ok' });
    expect(a.seen[1].path).toBe('/alive');
  });

  it('turns a redirect elsewhere into 200, follows one to the same host, and cuts the body at 10 KiB', async () => {
    const a = await app((path, res) => {
      if (path === '/away') res.writeHead(302, { location: 'http://example.invalid/x' }).end();
      else if (path === '/here') res.writeHead(301, { location: '/big' }).end();
      else res.writeHead(500).end('x'.repeat(20000));
    });
    const { ports } = await sidecar(
      probers({ '/app-health/a/livez': { httpGet: { path: '/away', port: a.port } }, '/app-health/a/readyz': { httpGet: { path: '/here', port: a.port } } }),
    );
    expect(await get(ports.agent, '/app-health/a/livez')).toMatchObject({ status: 200, body: '' });
    const followed = await get(ports.agent, '/app-health/a/readyz');
    expect(followed.status).toBe(500);
    expect(followed.body.length).toBe(10240);
    expect(a.seen.map((x) => x.path)).toEqual(['/away', '/here', '/big']);
  });

  it('is 500 when the app does not answer within timeoutSeconds, or refuses', async () => {
    const a = await app(() => undefined);
    const closed = await listenTcp((s) => s.destroy());
    const deadPort = closed.port;
    await closeServer(closed.server);
    const { ports } = await sidecar(
      probers({ '/app-health/a/livez': { httpGet: { port: a.port }, timeoutSeconds: 1 }, '/app-health/a/readyz': { httpGet: { port: deadPort } } }),
    );
    const started = Date.now();
    expect(await get(ports.agent, '/app-health/a/livez')).toMatchObject({ status: 500, body: '' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect((await get(ports.agent, '/app-health/a/readyz')).status).toBe(500);
  });

  it('is 400 for a probe the injector did not write', async () => {
    const { ports } = await sidecar(probers({}));
    expect(await get(ports.agent, '/app-health/other/livez')).toMatchObject({ status: 400, body: 'app prober config does not exists for /app-health/other/livez' });
  });
});

describe('/app-health: TCP and gRPC', () => {
  it('TCP: 200 when the port accepts, 500 when it refuses', async () => {
    const open = await listenTcp((s) => s.end());
    cleanup.push(() => closeServer(open.server));
    const gone = await listenTcp((s) => s.end());
    await closeServer(gone.server);
    const { ports } = await sidecar(probers({ '/app-health/db/livez': { tcpSocket: { port: open.port } }, '/app-health/db/readyz': { tcpSocket: { port: gone.port } } }));
    expect((await get(ports.agent, '/app-health/db/livez')).status).toBe(200);
    expect((await get(ports.agent, '/app-health/db/readyz')).status).toBe(500);
  });

  it('gRPC: grpc.health.v1 SERVING is 200, NOT_SERVING and an unknown service 500', async () => {
    const server: Http2Server = createHttp2Server();
    server.on('stream', (stream, headers) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const msg = Buffer.concat(chunks).subarray(5);
        const service = msg.length > 2 ? msg.subarray(2).toString() : '';
        expect(headers[':path']).toBe('/grpc.health.v1.Health/Check');
        if (service === 'missing') {
          stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '5' }, { endStream: true });
          return;
        }
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        stream.end(Buffer.from([0, 0, 0, 0, 2, 0x08, service === 'down' ? 2 : 1]));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise((r) => server.close(() => r())));
    const a = server.address();
    const port = typeof a === 'object' && a ? a.port : 0;
    const { ports } = await sidecar(
      probers({
        '/app-health/rpc/livez': { grpc: { port }, timeoutSeconds: 2 },
        '/app-health/rpc/readyz': { grpc: { port, service: 'down' }, timeoutSeconds: 2 },
        '/app-health/rpc/startupz': { grpc: { port, service: 'missing' }, timeoutSeconds: 2 },
      }),
    );
    expect((await get(ports.agent, '/app-health/rpc/livez')).status).toBe(200);
    expect((await get(ports.agent, '/app-health/rpc/readyz')).status).toBe(500);
    expect((await get(ports.agent, '/app-health/rpc/startupz')).status).toBe(500);
  });
});

describe('/stats/prometheus merged', () => {
  it("writes the agent's metrics, then Envoy's, then the app's, in the app's format", async () => {
    const a = await app((_path, res) => res.writeHead(200, { 'content-type': 'application/openmetrics-text; version=1.0.0' }).end('app_requests_total 7\n# EOF\n'));
    const { ports } = await sidecar({ ISTIO_PROMETHEUS_ANNOTATIONS: JSON.stringify({ scrape: 'true', path: '/m', port: String(a.port) }) });
    await get(ports.agent, '/healthz/ready');
    const r = await get(ports.agent, '/stats/prometheus', { accept: 'application/openmetrics-text', 'x-prometheus-scrape-timeout-seconds': '5' });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    const agentAt = r.body.indexOf('# TYPE istio_agent_scrapes_total counter\nistio_agent_scrapes_total 1\n');
    const envoyAt = r.body.indexOf('# TYPE envoy_server_live gauge');
    const appAt = r.body.indexOf('app_requests_total 7\n# EOF\n');
    expect(agentAt).toBeGreaterThanOrEqual(0);
    expect(envoyAt).toBeGreaterThan(agentAt);
    expect(appAt).toBeGreaterThan(envoyAt);
    expect(r.body.endsWith('# EOF\n')).toBe(true);
    expect(r.body).toMatch(/^istio_agent_startup_duration_seconds \d/m);
    expect(a.seen[0]?.path).toBe('/m');
  });

  it("keeps Envoy's metrics when the app's scrape fails, and counts the failure", async () => {
    const a = await app((_path, res) => res.writeHead(500).end('broken'));
    const { ports } = await sidecar({ ISTIO_PROMETHEUS_ANNOTATIONS: JSON.stringify({ scrape: 'true', path: '', port: String(a.port) }) });
    const r = await get(ports.agent, '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(r.body).toContain('envoy_server_live');
    expect(r.body).not.toContain('broken');
    expect(r.body).toContain('istio_agent_scrape_failures_total{type="application"} 1\n');
    expect(a.seen[0]?.path).toBe('/metrics');
  });

  it('without ISTIO_PROMETHEUS_ANNOTATIONS scrapes only Envoy', async () => {
    const { ports } = await sidecar({});
    const r = await get(ports.agent, '/stats/prometheus');
    expect(r.body).toContain('envoy_server_live');
    expect(r.body).not.toContain('scrape_failures');
  });
});

describe('/quitquitquit and /drain', () => {
  it('take POST only; quit ends the process as SIGTERM does', async () => {
    let shutdowns = 0;
    const { ports } = await sidecar({}, baseConfig(), { onShutdown: () => shutdowns++ });
    expect(await get(ports.agent, '/quitquitquit')).toMatchObject({ status: 405, body: 'Method Not Allowed\n' });
    expect(shutdowns).toBe(0);
    expect(await get(ports.agent, '/quitquitquit', {}, 'POST')).toMatchObject({ status: 200, body: 'OK' });
    await new Promise((r) => setTimeout(r, 50));
    expect(shutdowns).toBe(1);
  });

  it('drain asks inbound connections to close and keeps the process up; a later SIGTERM does not drain again', async () => {
    const POD_IP = '127.0.0.2';
    const up = await listenHttp(undefined, POD_IP);
    cleanup.push(() => closeServer(up.server));
    const h = await startSidecar(baseConfig({ pod: { name: 'web-1', namespace: 'default', ip: POD_IP }, inboundPorts: [{ port: up.port, name: 'http' }] }));
    cleanup.push(() => h.close());
    const inbound = () => httpVia(h, h.ports.inbound, { address: POD_IP, port: up.port }, { headers: { connection: 'keep-alive' } });
    // Envoy says nothing of a kept-alive HTTP/1.1 connection; the last response says close.
    expect((await inbound()).headers.connection).toBeUndefined();
    expect(await get(h.ports.agent, '/drain', {}, 'POST')).toMatchObject({ status: 200, body: 'OK' });
    const after = await inbound();
    expect(after.status).toBe(200);
    expect(after.headers.connection).toBe('close');
    expect(h.sidecar.ctx.draining).toBe(false);
    expect((await call(h.ports.agent, '/healthz/ready')).status).toBe(200);
    const started = Date.now();
    await h.sidecar.drain();
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
