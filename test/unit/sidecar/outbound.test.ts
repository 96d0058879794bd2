// virtualOutbound end to end in-process: services, retries, passthrough, blackhole, sniffing.
import { afterEach, describe, expect, it } from 'vitest';
import {
  baseConfig,
  withHttpPorts,
  closeServer,
  httpVia,
  listenHttp,
  listenTcp,
  readUntil,
  startSidecar,
  tcpVia,
  waitFor,
  type Harness,
} from './helpers';
import type { Server } from 'node:net';
import type { Server as HttpServer } from 'node:http';

const VIP = '10.96.0.10';
const HOST = 'httpbin.default.svc.cluster.local';
let cleanup: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

function track<T extends { server: Server | HttpServer }>(x: T): T {
  cleanup.push(() => closeServer(x.server));
  return x;
}

async function sidecar(config: unknown): Promise<Harness> {
  const h = await startSidecar(config);
  cleanup.push(() => h.close());
  return h;
}

function httpbin(endpointPorts: number[], portName = 'http', extra: Record<string, unknown> = {}) {
  return {
    name: 'httpbin',
    namespace: 'default',
    clusterIP: VIP,
    ports: [{ name: portName, port: 80, targetPort: endpointPorts[0] }],
    endpoints: endpointPorts.map((p) => ({ address: '127.0.0.1', ports: { '80': p } })),
    ...extra,
  };
}

describe('outbound HTTP to a Service', () => {
  it('routes ClusterIP:port to outbound|80||host, adds Envoy headers and logs the request', async () => {
    const up = track(await listenHttp());
    const h = await sidecar(baseConfig({ services: [httpbin([up.port])] }));
    const r = await httpVia(h, h.ports.outbound, { address: VIP, port: 80 }, { host: 'httpbin', path: '/get?x=1', headers: { 'user-agent': 'curl/8' } });
    expect(r.status).toBe(200);
    expect(r.body).toBe('ok');
    expect(r.headers.server).toBe('envoy');
    expect(Number(r.headers['x-envoy-upstream-service-time'])).toBeGreaterThanOrEqual(0);
    const seen = up.seen[0];
    expect(seen.url).toBe('/get?x=1');
    expect(seen.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    expect(seen.headers['x-envoy-attempt-count']).toBe('1');
    expect(seen.headers['x-envoy-decorator-operation']).toBe(`${HOST}:80/*`);
    await waitFor(() => h.logs.length === 1);
    const line = h.logs[0];
    expect(line).toMatch(/^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\] "GET \/get\?x=1 HTTP\/1\.1" 200 - via_upstream - "-" 0 2 \d+ \d+ "-" "curl\/8" "[0-9a-f-]{36}" "httpbin" "127\.0\.0\.1:\d+" outbound\|80\|\|httpbin\.default\.svc\.cluster\.local 127\.0\.0\.1:\d+ 10\.96\.0\.10:80 127\.0\.\d+\.\d+:\d+ - default$/);
    expect(line).toContain(`"${seen.headers['x-request-id'] as string}"`);
  });

  it('keeps a client x-request-id and round-robins endpoints over pooled connections', async () => {
    const a = track(await listenHttp());
    const b = track(await listenHttp());
    const h = await sidecar(baseConfig({ services: [httpbin([a.port, b.port])] }));
    for (let i = 0; i < 4; i++) {
      const r = await httpVia(h, h.ports.outbound, { address: VIP, port: 80 }, { headers: { 'x-request-id': `id-${i}` } });
      expect(r.status).toBe(200);
    }
    expect(a.seen.map((s) => s.headers['x-request-id'])).toEqual(['id-0', 'id-2']);
    expect(b.seen.map((s) => s.headers['x-request-id'])).toEqual(['id-1', 'id-3']);
    // Four requests, at most one upstream connection per endpoint thanks to keep-alive pooling.
    expect(h.sidecar.ctx.stats.cluster(`outbound|80||${HOST}`).upstream_cx_total).toBe(2);
  });

  it('forwards request bodies and keeps the method', async () => {
    const up = track(await listenHttp((_req, res, body) => res.end(`got ${body.length}`)));
    const h = await sidecar(baseConfig({ services: [httpbin([up.port])] }));
    const r = await httpVia(h, h.ports.outbound, { address: VIP, port: 80 }, { method: 'POST', body: 'x'.repeat(100_000) });
    expect(r.body).toBe('got 100000');
    expect(up.seen[0].method).toBe('POST');
    await waitFor(() => h.logs.length === 1);
    expect(h.logs[0]).toContain('"POST / HTTP/1.1" 200 - via_upstream - "-" 100000 10 ');
  });

  it('retries a refused connection twice, then answers 503 UF,URX with Envoy body', async () => {
    const dead = track(await listenTcp(() => undefined));
    const port = dead.port;
    await closeServer(dead.server);
    const h = await sidecar(baseConfig({ services: [httpbin([port])] }));
    const r = await httpVia(h, h.ports.outbound, { address: VIP, port: 80 });
    expect(r.status).toBe(503);
    expect(r.headers.server).toBe('envoy');
    expect(r.body).toBe(
      'upstream connect error or disconnect/reset before headers. retried and the latest reset reason: ' +
        'remote connection failure, transport failure reason: delayed connect error: Connection refused',
    );
    const cs = h.sidecar.ctx.stats.cluster(`outbound|80||${HOST}`);
    expect(cs.upstream_rq_retry).toBe(2);
    expect(cs.upstream_cx_connect_fail).toBe(3);
    await waitFor(() => h.logs.length === 1);
    expect(h.logs[0]).toContain(
      '" 503 UF,URX upstream_reset_before_response_started{remote_connection_failure|delayed_connect_error:_Connection_refused} - "delayed_connect_error:_Connection_refused" ',
    );
  });

  it('retries an upstream 503 and succeeds on the next endpoint', async () => {
    const bad = track(await listenHttp((_req, res) => res.writeHead(503).end('busy')));
    const good = track(await listenHttp());
    const h = await sidecar(baseConfig({ services: [httpbin([bad.port, good.port])] }));
    const r = await httpVia(h, h.ports.outbound, { address: VIP, port: 80 });
    expect(r.status).toBe(200);
    expect(good.seen[0].headers['x-envoy-attempt-count']).toBe('2');
  });

  it('answers 503 UH when the service has no endpoints', async () => {
    const h = await sidecar(baseConfig({ services: [{ ...httpbin([80]), endpoints: [] }] }));
    const r = await httpVia(h, h.ports.outbound, { address: VIP, port: 80 });
    expect(r.status).toBe(503);
    expect(r.body).toBe('no healthy upstream');
    await waitFor(() => h.logs.length === 1);
    expect(h.logs[0]).toContain('" 503 UH no_healthy_upstream - "-" ');
  });

  it('routes by Host: an unknown Host on a service port goes to PassthroughCluster (allow_any)', async () => {
    const up = track(await listenHttp());
    const other = track(await listenHttp());
    const h = await sidecar(withHttpPorts(baseConfig({ services: [httpbin([up.port])] }), other.port));
    // A declared HTTP port, an unknown IP and Host: the 0.0.0.0_PORT route's allow_any virtual host.
    const r = await httpVia(h, h.ports.outbound, { address: '127.0.0.1', port: other.port }, { host: 'example.com' });
    expect(r.status).toBe(200);
    expect(other.seen).toHaveLength(1);
    await waitFor(() => h.logs.length === 1);
    expect(h.logs[0]).toMatch(/ PassthroughCluster .* allow_any$/);
  });
});

describe('outbound to unknown destinations', () => {
  it('pipes HTTP to an undeclared port untouched to PassthroughCluster under ALLOW_ANY (no HTTP on the catch-all)', async () => {
    const up = track(await listenHttp());
    const h = await sidecar(baseConfig());
    const r = await httpVia(h, h.ports.outbound, { address: '127.0.0.1', port: up.port }, { host: 'example.org' });
    expect(r.status).toBe(200);
    // Istio's virtualOutbound catch-all is a TCP proxy: the upstream's own headers, no envoy ones.
    expect(r.headers.server).toBe('upstream');
    expect(r.headers['x-envoy-upstream-service-time']).toBeUndefined();
    await waitFor(() => h.logs.length === 1);
    expect(h.logs[0]).toMatch(/"- - -" 0 - - - "-" \d+ \d+ \d+ - "-" "-" "-" "-" "127\.0\.0\.1:\d+" PassthroughCluster 127\.0\.0\.1:\d+ 127\.0\.0\.1:\d+ .* - -$/);
  });

  it('REGISTRY_ONLY: 502 block_all on a declared HTTP port; elsewhere BlackHoleCluster closes the connection (UH)', async () => {
    const up = track(await listenHttp());
    const declared = track(await listenHttp());
    const h = await sidecar(withHttpPorts(baseConfig({ mesh: { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' }, protocolDetectionTimeout: '300ms', accessLogFile: '/dev/stdout' } }), declared.port));
    const r = await httpVia(h, h.ports.outbound, { address: '127.0.0.1', port: declared.port }, { host: 'example.org' });
    expect(r.status).toBe(502);
    expect(declared.seen).toHaveLength(0);
    // The catch-all has no HTTP routes: the client sees its connection closed, not a 502.
    await expect(httpVia(h, h.ports.outbound, { address: '127.0.0.1', port: up.port }, { host: 'example.org' })).rejects.toThrow(/socket hang up|ECONNRESET/);
    const s = await tcpVia(h, h.ports.outbound, { address: '127.0.0.1', port: up.port });
    s.write('\x00\x01binary');
    const started = Date.now();
    await readUntil(s, () => false);
    expect(Date.now() - started).toBeLessThan(250);
    expect(up.seen).toHaveLength(0);
    await waitFor(() => h.logs.length === 3);
    expect(h.logs[0]).toMatch(/"GET \/ HTTP\/1\.1" 502 - direct_response - "-" 0 0 \d+ - .* "example\.org" "-" - - 127\.0\.0\.1:\d+ .* block_all$/);
    for (const l of h.logs.slice(1)) expect(l).toMatch(/^\[[^\]]+\] "- - -" 0 UH - - "-" \d+ 0 \d+ - "-" "-" "-" "-" "-" BlackHoleCluster - 127\.0\.0\.1:\d+ 127\.0\.\d+\.\d+:\d+ - -$/);
  });

  it('pipes TCP both ways with half-close to the original destination', async () => {
    const echo = track(await listenTcp((s) => s.pipe(s)));
    const h = await sidecar(baseConfig());
    const s = await tcpVia(h, h.ports.outbound, { address: '127.0.0.1', port: echo.port });
    s.end('hello\n');
    expect(await readUntil(s, () => false)).toBe('hello\n');
    await waitFor(() => h.logs.length === 1);
    expect(h.logs[0]).toMatch(/"- - -" 0 - - - "-" 6 6 \d+ - "-" "-" "-" "-" "127\.0\.0\.1:\d+" PassthroughCluster /);
  });

  it('closes a connection aimed at the listener itself (virtualOutbound-blackhole)', async () => {
    const h = await sidecar(baseConfig());
    const s = await tcpVia(h, h.ports.outbound, { address: '127.0.0.1', port: h.ports.outbound });
    s.write('x');
    await readUntil(s, () => false);
    await waitFor(() => h.logs.length === 1);
    expect(h.logs[0]).toContain(' BlackHoleCluster ');
  });
});

describe('protocol detection', () => {
  const banner = (): Promise<{ server: Server; port: number }> =>
    listenTcp((s) => {
      s.write('220 banner\r\n');
      s.on('data', () => s.end('221 bye\r\n'));
    });

  it('holds a server-first banner for the detection timeout on an undeclared port, but not on unnamed 25 (TCP to Istio)', async () => {
    const b = track(await banner());
    const h = await sidecar(baseConfig({ services: [{ ...httpbin([b.port], 'db'), ports: [{ name: 'db', port: 2525, targetPort: b.port }, { name: 'db25', port: 25, targetPort: b.port }] }] }));
    let started = Date.now();
    const s = await tcpVia(h, h.ports.outbound, { address: VIP, port: 2525 });
    expect(await readUntil(s, (t) => t.includes('\n'))).toBe('220 banner\r\n');
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(280);
    expect(waited).toBeLessThan(2000);
    s.destroy();
    // kube.ConvertProtocol: an undeclared protocol on 25, 53, 3306 or 27017 is TCP, so no sniffing there.
    started = Date.now();
    const smtp = await tcpVia(h, h.ports.outbound, { address: VIP, port: 25 });
    expect(await readUntil(smtp, (t) => t.includes('\n'))).toBe('220 banner\r\n');
    expect(Date.now() - started).toBeLessThan(200);
    smtp.destroy();
  });

  it('delivers the banner at once when the port is declared tcp-', async () => {
    const b = track(await banner());
    const h = await sidecar(baseConfig({ services: [{ ...httpbin([b.port]), ports: [{ name: 'tcp-smtp', port: 25, targetPort: b.port }] }] }));
    const started = Date.now();
    const s = await tcpVia(h, h.ports.outbound, { address: VIP, port: 25 });
    expect(await readUntil(s, (t) => t.includes('\n'))).toBe('220 banner\r\n');
    expect(Date.now() - started).toBeLessThan(200);
    s.end('QUIT\r\n');
    await readUntil(s, () => false);
    await waitFor(() => h.logs.length === 1);
    expect(h.logs[0]).toContain(` outbound|25||${HOST} `);
  });

  it('detects HTTP on an undeclared port and proxies it per request', async () => {
    const up = track(await listenHttp());
    const h = await sidecar(baseConfig({ services: [httpbin([up.port], '')] }));
    const r = await httpVia(h, h.ports.outbound, { address: VIP, port: 80 }, { host: HOST });
    expect(r.status).toBe(200);
    expect(r.headers['x-envoy-upstream-service-time']).toBeDefined();
    await waitFor(() => h.logs.length === 1);
    expect(h.logs[0]).toContain(`"GET / HTTP/1.1" 200 - via_upstream`);
  });
});
