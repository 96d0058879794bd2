// virtualInbound in-process: delivery to the pod IP from 127.0.0.6, Sidecar ingress, passthrough.
import type { Server as HttpServer } from 'node:http';
import type { Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { plainIp } from '../../../src-pod/sidecar/net-util';
import {
  baseConfig,
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

// The "pod IP": an address other than 127.0.0.1, so an app bound to 127.0.0.1 only is not it.
const POD_IP = '127.0.0.2';
let cleanup: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

function track<T extends { server: Server | HttpServer }>(x: T): T {
  cleanup.push(() => closeServer(x.server));
  return x;
}

async function sidecar(over: Record<string, unknown>): Promise<Harness> {
  const h = await startSidecar(baseConfig({ pod: { name: 'httpbin-1', namespace: 'default', ip: POD_IP }, ...over }));
  cleanup.push(() => h.close());
  return h;
}

describe('inbound', () => {
  it('delivers a declared HTTP port to the pod IP, from 127.0.0.6, as inbound|PORT||', async () => {
    const app = track(await listenHttp(undefined, POD_IP));
    const h = await sidecar({ inboundPorts: [{ port: app.port, name: 'http-web', service: 'httpbin.default.svc.cluster.local' }] });
    const r = await httpVia(h, h.ports.inbound, { address: POD_IP, port: app.port }, { host: 'httpbin:8000', headers: { 'x-request-id': 'abc' } });
    expect(r.status).toBe(200);
    // Istio's inbound connection manager names itself istio-envoy.
    expect(r.headers.server).toBe('istio-envoy');
    expect(app.seen[0].remoteAddress).toBe('127.0.0.6');
    expect(app.seen[0].headers['x-request-id']).toBe('abc');
    expect(app.seen[0].headers['x-envoy-attempt-count']).toBeUndefined();
    await waitFor(() => h.logs.length === 1);
    expect(h.logs[0]).toMatch(new RegExp(`"abc" "httpbin:8000" "127\\.0\\.0\\.2:${app.port}" inbound\\|${app.port}\\|\\| 127\\.0\\.0\\.6:\\d+ 127\\.0\\.0\\.2:${app.port} 127\\.0\\.\\d+\\.\\d+:\\d+ - default$`));
  });

  it('cannot reach an app bound to 127.0.0.1 only: 503 UF without retries', async () => {
    const app = track(await listenHttp(undefined, '127.0.0.1'));
    const h = await sidecar({ inboundPorts: [{ port: app.port, name: 'http' }] });
    const r = await httpVia(h, h.ports.inbound, { address: POD_IP, port: app.port });
    expect(r.status).toBe(503);
    expect(r.body).toBe(
      'upstream connect error or disconnect/reset before headers. reset reason: remote connection failure, ' +
        'transport failure reason: delayed connect error: Connection refused',
    );
    expect(app.seen).toHaveLength(0);
    await waitFor(() => h.logs.length === 1);
    expect(h.logs[0]).toContain('" 503 UF upstream_reset_before_response_started');
  });

  it('forwards a Sidecar ingress port to its defaultEndpoint', async () => {
    const app = track(await listenHttp(undefined, '127.0.0.1'));
    const h = await sidecar({
      sidecar: { name: 'ingress', namespace: 'default', ingress: [{ port: { number: 9080, protocol: 'HTTP', name: 'http' }, defaultEndpoint: `127.0.0.1:${app.port}` }] },
    });
    const r = await httpVia(h, h.ports.inbound, { address: POD_IP, port: 9080 });
    expect(r.status).toBe(200);
    expect(app.seen[0].remoteAddress).toBe('127.0.0.6');
    await waitFor(() => h.logs.length === 1);
    expect(h.logs[0]).toContain(`"127.0.0.1:${app.port}" inbound|9080|| 127.0.0.6:`);
  });

  it('passes unknown ports through InboundPassthroughCluster, from 127.0.0.6', async () => {
    const peers: string[] = [];
    const echo = track(
      await listenTcp((s) => {
        peers.push(plainIp(s.remoteAddress ?? ''));
        s.pipe(s);
      }, POD_IP),
    );
    const h = await sidecar({});
    const s = await tcpVia(h, h.ports.inbound, { address: POD_IP, port: echo.port });
    s.end('ping');
    expect(await readUntil(s, () => false)).toBe('ping');
    expect(peers).toEqual(['127.0.0.6']);
    await waitFor(() => h.logs.length === 1);
    expect(h.logs[0]).toMatch(/"- - -" 0 - - - "-" 4 4 \d+ - .* InboundPassthroughCluster 127\.0\.0\.6:\d+ 127\.0\.0\.2:\d+ /);
  });
});
