// A customer's config_dump against the lab's, listener by listener and cluster by cluster: Istio's istioctl test dump and the lab's own sleep dump.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigDump } from '../../../src-main/istioctl/configdump/dump';
import { addressNames, diffConfigDumps } from '../../../src-main/lab/dump/config-diff';
import { isConfigDump } from '../../../src-main/lab/dump/config-dump-file';
import { readDump } from '../../../src-main/lab/dump/read-dump';

// istioctl/pkg/proxyconfig/testdata/config_dump.json (Istio's, see test/fixtures/istioctl/README.md).
const ISTIO = readFileSync(resolve(import.meta.dirname, '../../fixtures/istioctl/proxyconfig/config_dump.json'), 'utf8');
// The lab's sleep proxy in the interception scenario (its golden file).
const SLEEP = readFileSync(resolve(import.meta.dirname, '../../fixtures/sidecar/interception-sleep-config-dump.json'), 'utf8');

type Dump = { configs: Record<string, unknown>[] };
const section = (d: Dump, type: string) => d.configs.find((c) => String(c['@type']).endsWith(type)) as Record<string, { [k: string]: unknown }[]>;
const listener = (d: Dump, name: string) =>
  (section(d, 'ListenersConfigDump').dynamic_listeners as { name: string; active_state: { listener: { filter_chains: Record<string, unknown>[] } } }[]).find((l) => l.name === name)!.active_state.listener;

function diff(a: string, b: string) {
  const da = ConfigDump.parse(a);
  const db = ConfigDump.parse(b);
  return diffConfigDumps(da, db, [addressNames(da), addressNames(db)], ['the customer', 'the lab']);
}

describe('diffConfigDumps', () => {
  it("finds Istio's dump identical to itself", () => {
    expect(diff(ISTIO, ISTIO)).toMatchObject({ equal: true, lines: [] });
  });

  it('names a listener missing and a cluster whose discovery type differs', () => {
    const lab = JSON.parse(ISTIO) as Dump;
    const listeners = section(lab, 'ListenersConfigDump');
    // The unnamed static listener on 15021 (istioctl prints it as `listener/`): named here by address and port.
    listeners.static_listeners = [];
    const clusters = section(lab, 'ClustersConfigDump').dynamic_active_clusters as { cluster: { name: string; type: string } }[];
    const vip = clusters.find((c) => c.cluster.name.startsWith('inbound-vip|8000'))!;
    vip.cluster.type = 'STRICT_DNS';
    const d = diff(ISTIO, JSON.stringify(lab));
    expect(d.equal).toBe(false);
    expect(d.lines).toEqual([
      '- listener 0.0.0.0_15021 (HTTP, 1 filter chain) only in the customer',
      '~ cluster inbound-vip|8000|http|httpbin.default.svc.cluster.local: type EDS in the customer, STRICT_DNS in the lab',
    ]);
  });

  it('matches ClusterIP listeners across clusters by the Service they serve, and the pod by its IP', () => {
    // The customer's cluster gives kube-dns and kubernetes other ClusterIPs, and the pod another IP.
    const customer = SLEEP.replaceAll('10.96.0.10', '172.20.0.10').replaceAll('10.96.0.1_', '172.20.0.1_').replaceAll('"10.96.0.1"', '"172.20.0.1"').replaceAll('10.244.0.2', '192.168.7.19');
    expect(customer).not.toBe(SLEEP);
    expect(diff(customer, SLEEP).lines).toEqual([]);
  });

  it('names a filter chain only on one side by its destination port, and a ClusterIP listener whose Service is gone', () => {
    const customer = JSON.parse(SLEEP) as Dump;
    const inbound = listener(customer, 'virtualInbound');
    inbound.filter_chains.push({
      filter_chain_match: { destination_port: 3306 },
      filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', stat_prefix: 'inbound|3306||', cluster: 'inbound|3306||' } }],
    });
    const dns = listener(customer, '10.96.0.10_53').filter_chains[0] as { filters: { typed_config: { cluster: string } }[] };
    dns.filters[0].typed_config.cluster = 'PassthroughCluster';
    const d = diff(JSON.stringify(customer), SLEEP);
    expect(d.lines).toContain('- listener virtualInbound: filter chain destination port 3306 (Addr: *:3306) -> Cluster: inbound|3306|| only in the customer');
    // With its cluster gone, the ClusterIP listener can no longer be named by its Service.
    expect(d.lines).toContain('- listener 10.96.0.10_53 (TCP, 1 filter chain) only in the customer');
    expect(d.lines).toContain('+ listener <kube-dns.kube-system.svc.cluster.local>_53 (TCP, 1 filter chain) only in the lab');
  });

  it('says how a listener’s type and a filter chain’s destination differ', () => {
    const customer = JSON.parse(SLEEP) as Dump;
    const http = listener(customer, '0.0.0.0_80').filter_chains[0] as { filters: { name: string; typed_config: Record<string, unknown> }[] };
    http.filters = [{ name: 'envoy.filters.network.tcp_proxy', typed_config: { cluster: 'outbound|80||httpbin.default.svc.cluster.local' } }];
    const d = diff(JSON.stringify(customer), SLEEP);
    expect(d.lines[0]).toBe('~ listener 0.0.0.0_80: type TCP in the customer, HTTP+TCP in the lab');
    expect(d.lines[1]).toMatch(/^~ listener 0\.0\.0\.0_80: filter chain \(Trans: raw_buffer; App: http\/1\.1,h2c\) goes to Cluster: outbound\|80\|\|httpbin\.default\.svc\.cluster\.local in the customer, to Route: 80 in the lab$/);
  });
});

describe('a dump folder with a config_dump', () => {
  it('reads the config_dump apart from the objects', () => {
    expect(isConfigDump(SLEEP)).toBe(true);
    expect(isConfigDump('{"kind": "Pod"}')).toBe(false);
    const dir = mkdtempSync(join(tmpdir(), 'sidecar-lab-cd-'));
    writeFileSync(join(dir, 'sleep-config-dump.json'), SLEEP);
    writeFileSync(join(dir, 'pod.json'), '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "sleep"}}');
    const dump = readDump(dir);
    expect(dump.configDumps.map((c) => c.path)).toEqual([join(dir, 'sleep-config-dump.json')]);
    expect(dump.objects.map((o) => o.value.kind)).toEqual(['Pod']);
  });
});

describe('routes and endpoints', () => {
  type RouteDump = { route_config: { name: string; virtual_hosts: { name: string; domains: string[]; routes: { match: Record<string, unknown>; route?: { cluster: string } }[] }[] } };
  type EdsDump = { endpoint_config: { cluster_name: string; endpoints: { lb_endpoints: Record<string, unknown>[] }[] } };
  const routeConfigs = (d: Dump, key: string) => section(d, '.RoutesConfigDump')[key] as unknown as RouteDump[];
  const eds = (d: Dump) => section(d, 'EndpointsConfigDump').dynamic_endpoint_configs as unknown as EdsDump[];
  const endpoint = (ip: string, port: number, status = 'HEALTHY') => ({ endpoint: { address: { socket_address: { address: ip, port_value: port } } }, health_status: status });

  it("compares Istio's dump with itself route by route and endpoint by endpoint", () => {
    const d = diff(ISTIO, ISTIO);
    expect(d.text).toMatch(/^No differences in listeners, clusters, routes and endpoints between the customer and the lab\.$/m);
  });

  it('names a route that goes elsewhere, a virtual host only on one side, a route config only on one side', () => {
    const lab = JSON.parse(ISTIO) as Dump;
    const [rc] = routeConfigs(lab, 'static_route_configs');
    rc.route_config.virtual_hosts[0].routes[0].route!.cluster = 'outbound|8000||httpbin.default.svc.cluster.local';
    rc.route_config.virtual_hosts.push({ name: 'extra', domains: ['extra.example.com'], routes: [] });
    section(lab, '.RoutesConfigDump').dynamic_route_configs = [{ route_config: { name: '9080', virtual_hosts: [] } }];
    expect(diff(ISTIO, JSON.stringify(lab)).lines).toEqual([
      '~ route config inbound-vip|8000|http|httpbin.default.svc.cluster.local: virtual host inbound|http|8000: route /* goes to cluster inbound-vip|8000|http|httpbin.default.svc.cluster.local in the customer, to cluster outbound|8000||httpbin.default.svc.cluster.local in the lab',
      '+ route config inbound-vip|8000|http|httpbin.default.svc.cluster.local: virtual host extra (extra.example.com) only in the lab',
      '+ route config 9080 (0 virtual hosts) only in the lab',
    ]);
  });

  it('reads a Service’s ClusterIP in the domains as the Service, and names a route only on one side by its match, and their order', () => {
    const customer = JSON.parse(SLEEP.replaceAll('10.96.0.101', '172.20.0.101')) as Dump;
    expect(diff(JSON.stringify(customer), SLEEP).lines).toEqual([]);
    const [rc] = routeConfigs(customer, 'dynamic_route_configs');
    const vh = rc.route_config.virtual_hosts[0];
    vh.routes.unshift({ match: { path: '/admin', headers: [{ name: 'x-user', string_match: { exact: 'ops' } }] }, route: { cluster: 'outbound|80||external.external.svc.cluster.local' } });
    expect(diff(JSON.stringify(customer), SLEEP).lines).toEqual([
      `- route config 80: virtual host ${vh.name}: route /admin header x-user {"string_match":{"exact":"ops"}} -> cluster outbound|80||external.external.svc.cluster.local only in the customer`,
    ]);
    vh.routes.shift();
    vh.routes.push({ match: { prefix: '/v2' }, route: { cluster: 'outbound|80||external.external.svc.cluster.local' } });
    const lab = JSON.parse(JSON.stringify(customer)) as Dump;
    routeConfigs(lab, 'dynamic_route_configs')[0].route_config.virtual_hosts[0].routes.reverse();
    expect(diff(JSON.stringify(customer), JSON.stringify(lab)).lines).toEqual([`~ route config 80: virtual host ${vh.name}: the same routes in a different order (the first match wins)`]);
  });

  it('matches endpoints whose pod IPs differ by the Service they serve, and names what differs per cluster', () => {
    const withEds = (ips: string[], status = 'HEALTHY'): string => {
      const d = JSON.parse(ISTIO) as Dump;
      eds(d).push({ endpoint_config: { cluster_name: 'outbound|80||httpbin.default.svc.cluster.local', endpoints: [{ lb_endpoints: ips.map((ip) => endpoint(ip, 8080, status)) }] } });
      return JSON.stringify(d);
    };
    expect(diff(withEds(['192.168.195.10', '192.168.195.11']), withEds(['10.1.0.7', '10.1.0.8'])).lines).toEqual([]);
    expect(diff(withEds(['192.168.195.10', '192.168.195.11']), withEds(['10.1.0.7'])).lines).toEqual([
      '~ endpoint <an endpoint of httpbin.default.svc.cluster.local>:8080 of cluster outbound|80||httpbin.default.svc.cluster.local: 2 in the customer, 1 in the lab',
    ]);
    expect(diff(withEds(['192.168.195.10']), withEds(['10.1.0.7'], 'UNHEALTHY')).lines).toEqual([
      '~ endpoint <an endpoint of httpbin.default.svc.cluster.local>:8080 of cluster outbound|80||httpbin.default.svc.cluster.local: HEALTHY in the customer, UNHEALTHY in the lab',
    ]);
    expect(diff(withEds(['192.168.195.10']), ISTIO).lines).toEqual(['- endpoints of cluster outbound|80||httpbin.default.svc.cluster.local (1) only in the customer']);
  });

  it('says when endpoints could not be compared: only one dump was taken with include_eds', () => {
    const lab = JSON.parse(ISTIO) as Dump;
    lab.configs = lab.configs.filter((c) => !String(c['@type']).endsWith('EndpointsConfigDump'));
    const d = diff(ISTIO, JSON.stringify(lab));
    expect(d.equal).toBe(true);
    expect(d.text).toContain('Endpoints not compared: only the customer includes EDS (take both with /config_dump?include_eds).');
  });
});
