// Admin, health and Prometheus endpoints of an in-process sidecar, and the /lab/flows stream.
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ClustersStatus, printEndpointsSummary } from '../../../src-main/istioctl/clusters/endpoints';
import type { FlowEvent } from '../../../src-pod/sidecar/flow-events';
import { baseConfig, call, closeServer, httpVia, listenHttp, startSidecar, waitFor, type Harness } from './helpers';

const VIP = '10.96.0.20';
let cleanup: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function withUpstream(): Promise<{ h: Harness; config: Record<string, unknown>; upstreamPort: number }> {
  const up = await listenHttp();
  cleanup.push(() => closeServer(up.server));
  const config = baseConfig({
    services: [
      {
        name: 'reviews',
        namespace: 'default',
        clusterIP: VIP,
        ports: [{ name: 'http', port: 9080, targetPort: up.port }],
        endpoints: [{ address: '127.0.0.1' }],
      },
    ],
  });
  const h = await startSidecar();
  cleanup.push(() => h.close());
  return { h, config, upstreamPort: up.port };
}

describe('config push and readiness', () => {
  it('is not ready until a config arrives, rejects bad configs with 400, applies good ones live', async () => {
    const { h, config } = await withUpstream();
    expect((await call(h.ports.health, '/healthz/ready')).status).toBe(503);
    const bad = await call(h.ports.admin, '/lab/config', 'POST', JSON.stringify({ pod: { name: 'x', namespace: 'y', ip: 'nope' } }));
    expect(bad.status).toBe(400);
    expect(bad.body).toBe('pod.ip: not an IP address: "nope"\n');
    expect((await call(h.ports.admin, '/lab/config', 'POST', '{')).status).toBe(400);
    const ok = await call(h.ports.admin, '/lab/config', 'POST', JSON.stringify(config));
    expect(ok.status).toBe(200);
    expect((await call(h.ports.health, '/healthz/ready')).status).toBe(200);
    // The health port carries the lab endpoints too, for a control plane outside the pod.
    expect(JSON.parse((await call(h.ports.health, '/lab/config')).body)).toMatchObject({ version: 't1' });
    const r = await httpVia(h, h.ports.outbound, { address: VIP, port: 9080 });
    expect(r.status).toBe(200);
  });
});

describe('admin endpoints', () => {
  it('serves config_dump, listeners, clusters, stats and server_info', async () => {
    const { h, config, upstreamPort } = await withUpstream();
    await call(h.ports.admin, '/lab/config', 'POST', JSON.stringify(config));
    await httpVia(h, h.ports.outbound, { address: VIP, port: 9080 });

    const dump = JSON.parse((await call(h.ports.admin, '/config_dump')).body) as { configs: { '@type': string }[] };
    expect(dump.configs.map((c) => c['@type'].split('.').pop())).toEqual([
      'BootstrapConfigDump',
      'ClustersConfigDump',
      'ListenersConfigDump',
      'ScopedRoutesConfigDump',
      'RoutesConfigDump',
      'SecretsConfigDump',
    ]);
    const text = JSON.stringify(dump);
    expect(text).toContain('"name":"virtualOutbound"');
    expect(text).toContain('"name":"outbound|9080||reviews.default.svc.cluster.local"');
    expect(text).toContain('"name":"9080"');
    // Current Istio lists each name once and sets ignore_port_in_host_matching.
    expect(text).toContain('"domains":["reviews.default.svc.cluster.local","reviews","reviews.default.svc","reviews.default","10.96.0.20"]');
    expect(text).toContain('"@type":"type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"');

    const listeners = (await call(h.ports.admin, '/listeners')).body;
    expect(listeners).toContain(`virtualOutbound::0.0.0.0:${h.ports.outbound}\n`);
    // An HTTP port is one 0.0.0.0_PORT listener in Istio, not one per VIP.
    expect(listeners).not.toContain(`${VIP}_9080`);
    expect(listeners).toContain('0.0.0.0_9080::0.0.0.0:9080\n');

    const clusters = (await call(h.ports.admin, '/clusters')).body;
    expect(clusters).toContain(`outbound|9080||reviews.default.svc.cluster.local::127.0.0.1:${upstreamPort}::rq_total::1\n`);
    expect(clusters).toContain(`outbound|9080||reviews.default.svc.cluster.local::127.0.0.1:${upstreamPort}::health_flags::healthy\n`);

    const stats = (await call(h.ports.admin, '/stats')).body;
    // The connection was handed to the 0.0.0.0_9080 listener (use_original_dst): its stats count it.
    expect(stats).toContain('listener.0.0.0.0_9080.downstream_cx_total: 1\n');
    expect(stats).toContain('cluster.outbound|9080||reviews.default.svc.cluster.local.upstream_rq_total: 1\n');
    expect(stats).toContain('cluster.outbound|9080||reviews.default.svc.cluster.local.upstream_rq_2xx: 1\n');
    const filtered = (await call(h.ports.admin, '/stats?filter=upstream_rq_2xx')).body;
    expect(filtered.trim().split('\n').every((l) => l.includes('upstream_rq_2xx'))).toBe(true);

    const info = JSON.parse((await call(h.ports.admin, '/server_info')).body) as { state: string; node: { id: string } };
    expect(info.state).toBe('LIVE');
    expect(info.node.id).toBe('sidecar~127.0.0.1~sleep-1.default~default.svc.cluster.local');
    expect((await call(h.ports.admin, '/quitquitquit')).status).toBe(405);
    expect((await call(h.ports.admin, '/nope')).status).toBe(404);
  });

  it('serves /clusters as Envoy does: text lines and ?format=json (admin.v3.Clusters) that istioctl reads', async () => {
    const { h, config, upstreamPort } = await withUpstream();
    await call(h.ports.admin, '/lab/config', 'POST', JSON.stringify(config));
    await httpVia(h, h.ports.outbound, { address: VIP, port: 9080 });
    const name = 'outbound|9080||reviews.default.svc.cluster.local';
    const host = `127.0.0.1:${upstreamPort}`;

    const text = (await call(h.ports.admin, '/clusters')).body;
    for (const line of [
      `${name}::observability_name::${name}`,
      `${name}::default_priority::max_retries::4294967295`,
      `${name}::high_priority::max_connections::1024`,
      `${name}::high_priority::max_retries::3`,
      `${name}::added_via_api::true`,
      `${name}::eds_service_name::${name}`,
      `${name}::${host}::cx_total::1`,
      `${name}::${host}::rq_success::1`,
      `${name}::${host}::priority::0`,
      `${name}::${host}::success_rate::-1`,
      'prometheus_stats::added_via_api::false',
      'prometheus_stats::default_priority::max_connections::1024',
    ]) {
      expect(text).toContain(`${line}\n`);
    }

    const res = await call(h.ports.admin, '/clusters?format=json');
    expect(res.headers['content-type']).toBe('application/json');
    const body = JSON.parse(res.body) as { cluster_statuses: { name: string }[] };
    const reviews = body.cluster_statuses.find((c) => c.name === name);
    expect(reviews).toEqual({
      name,
      added_via_api: true,
      host_statuses: [
        {
          address: { socket_address: { address: '127.0.0.1', port_value: upstreamPort } },
          stats: [
            { name: 'cx_connect_fail' },
            { value: '1', name: 'cx_total' },
            { name: 'rq_error' },
            { value: '1', name: 'rq_success' },
            { name: 'rq_timeout' },
            { value: '1', name: 'rq_total' },
            { type: 'GAUGE', value: '1', name: 'cx_active' },
            { type: 'GAUGE', name: 'rq_active' },
          ],
          health_status: { eds_health_status: 'HEALTHY' },
          weight: 1,
          locality: {},
        },
      ],
      circuit_breakers: {
        thresholds: [
          { max_connections: 4294967295, max_pending_requests: 4294967295, max_requests: 4294967295, max_retries: 4294967295 },
          { priority: 'HIGH', max_connections: 1024, max_pending_requests: 1024, max_requests: 1024, max_retries: 3 },
        ],
      },
      observability_name: name,
      eds_service_name: name,
    });
    // A static cluster: not added via the API, Envoy's own thresholds, no EDS name.
    expect(body.cluster_statuses.find((c) => c.name === 'agent')).toMatchObject({ name: 'agent', observability_name: 'agent' });
    expect(body.cluster_statuses.find((c) => c.name === 'agent')).not.toHaveProperty('added_via_api');
    // istioctl proxy-config endpoint builds its table from this body.
    const table = printEndpointsSummary(ClustersStatus.parse(res.body), { address: '', port: 0, cluster: name, status: '' });
    expect(table).toBe(`ENDPOINT            STATUS      OUTLIER CHECK     CLUSTER\n${host.padEnd(20)}HEALTHY     OK                ${name}\n`);
  });

  it('changes the log level and quits on request', async () => {
    const debug: string[] = [];
    let quit = 0;
    const h = await startSidecar(baseConfig(), { debugLines: debug, onQuit: () => quit++ });
    cleanup.push(() => h.close());
    const list = await call(h.ports.admin, '/logging', 'POST');
    expect([list.status, list.body.split('\n')[0]]).toEqual([200, 'active loggers:']);
    const r = await call(h.ports.admin, '/logging?level=debug', 'POST');
    expect(r.status).toBe(200);
    expect(r.body).toContain('router: debug');
    expect((await call(h.ports.admin, '/logging?level=loud', 'POST')).status).toBe(404);
    await httpVia(h, h.ports.outbound, { address: '127.0.0.1', port: 1 }).catch(() => undefined);
    expect(debug.some((l) => /\tdebug\tconn_handler\t\[C1\] virtualOutbound /.test(l))).toBe(true);
    expect((await call(h.ports.admin, '/quitquitquit', 'POST')).body).toBe('OK\n');
    await waitFor(() => quit === 1);
  });
});

describe('Prometheus', () => {
  it('exposes istio_requests_total and the duration histogram on the Prometheus port', async () => {
    const { h, config } = await withUpstream();
    await call(h.ports.admin, '/lab/config', 'POST', JSON.stringify(config));
    await httpVia(h, h.ports.outbound, { address: VIP, port: 9080 });
    const r = await call(h.ports.prometheus, '/stats/prometheus');
    expect(r.headers['content-type']).toContain('text/plain; version=0.0.4');
    expect(r.body).toContain('# TYPE istio_requests_total counter\n');
    expect(r.body).toMatch(/istio_requests_total\{reporter="source",source_workload="sleep-1",source_workload_namespace="default",.*destination_service="reviews\.default\.svc\.cluster\.local",destination_service_name="reviews",destination_service_namespace="default",request_protocol="http",response_code="200",response_flags="-",connection_security_policy="unknown"\} 1\n/);
    expect(r.body).toMatch(/istio_request_duration_milliseconds_bucket\{.*le="\+Inf"\} 1\n/);
    expect(r.body).toContain('envoy_cluster_upstream_rq_total{cluster_name="outbound|9080||reviews.default.svc.cluster.local"} 1\n');
    // Envoy's local_route: a prefix match; any other path is the router's 404 NR, without a body.
    expect((await call(h.ports.prometheus, '/stats/prometheus/')).body).toContain('# TYPE istio_requests_total counter\n');
    for (const port of [h.ports.prometheus, h.ports.health]) {
      const other = await call(port, '/other');
      expect({ status: other.status, body: other.body, server: other.headers.server }).toEqual({ status: 404, body: '', server: 'envoy' });
    }
    expect((await call(h.ports.health, '/healthz/ready?x=1')).status).toBe(200);
  });
});

describe('/lab/flows', () => {
  it('replays the ring with ?since and streams new events live', async () => {
    const { h, config } = await withUpstream();
    await call(h.ports.admin, '/lab/config', 'POST', JSON.stringify(config));
    await httpVia(h, h.ports.outbound, { address: VIP, port: 9080 }, { path: '/a' });
    await waitFor(() => h.sidecar.ctx.flows.lastSeq >= 3);

    const backlog = (await call(h.ports.admin, '/lab/flows?since=0&follow=0')).body.trim().split('\n').map((l) => JSON.parse(l) as FlowEvent);
    expect(backlog.map((e) => e.seq)).toEqual(backlog.map((_e, i) => i + 1));
    const req = backlog.find((e) => e.type === 'request');
    expect(req).toMatchObject({
      direction: 'outbound',
      listener: '0.0.0.0_9080',
      filterChain: '',
      protocol: 'http',
      originalDst: { address: VIP, port: 9080 },
      cluster: 'outbound|9080||reviews.default.svc.cluster.local',
      route: 'default',
      response: { code: 200, flags: '-', details: 'via_upstream' },
      http: { method: 'GET', path: '/a', protocol: 'HTTP/1.1', attempts: 1 },
    });
    expect(req?.upstream?.remoteAddress).toBe('127.0.0.1');
    expect(req?.timings.endMs).toBeGreaterThan(0);

    const live: FlowEvent[] = [];
    const stream = request({ host: '127.0.0.1', port: h.ports.admin, path: `/lab/flows?since=${h.sidecar.ctx.flows.lastSeq}`, agent: false });
    const opened = new Promise<void>((resolve) => {
      stream.on('response', (res) => {
        let buf = '';
        res.on('data', (c: Buffer) => {
          buf += c.toString('utf8');
          let nl;
          while ((nl = buf.indexOf('\n')) !== -1) {
            live.push(JSON.parse(buf.slice(0, nl)) as FlowEvent);
            buf = buf.slice(nl + 1);
          }
        });
        resolve();
      });
    });
    stream.on('error', () => undefined);
    stream.end();
    await opened;
    await httpVia(h, h.ports.outbound, { address: VIP, port: 9080 }, { path: '/b' });
    await waitFor(() => live.some((e) => e.type === 'request' && e.http?.path === '/b'));
    expect(live[0].seq).toBeGreaterThan(backlog[backlog.length - 1].seq);
    stream.destroy();
  });
});
