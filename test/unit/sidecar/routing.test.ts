// Pure matching: (config, original destination[, Host]) -> chain, cluster, route.
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src-pod/sidecar/config';
import { ipInCidr } from '../../../src-pod/sidecar/net-util';
import { compileRoutes, matchInbound, matchOutbound, pickEndpoint, routeOutboundHttp } from '../../../src-pod/sidecar/routing';
import { baseConfig } from './helpers';

const services = [
  { name: 'httpbin', namespace: 'default', clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80, targetPort: 8080 }], endpoints: [{ address: '10.244.0.7' }, { address: '10.244.0.8' }] },
  { name: 'db', namespace: 'data', clusterIP: '10.96.0.11', ports: [{ name: 'tcp-pg', port: 5432 }], endpoints: [{ address: '10.244.0.9' }] },
  { name: 'web', namespace: 'other', clusterIP: '10.96.0.12', ports: [{ port: 8000 }], endpoints: [] },
  { name: 'kafka', namespace: 'data', clusterIP: 'None', ports: [{ name: 'tcp', port: 9092 }], endpoints: [{ address: '10.244.1.1' }, { address: '10.244.1.2' }] },
];
const serviceEntries = [
  { name: 'ext', namespace: 'default', hosts: ['api.example.com'], addresses: ['192.0.2.0/24'], ports: [{ number: 443, name: 'tls' }], resolution: 'NONE' },
  { name: 'static', namespace: 'default', hosts: ['legacy.internal'], addresses: ['198.51.100.7'], ports: [{ number: 3306, name: 'mysql' }], resolution: 'STATIC', endpoints: [{ address: '10.0.0.1' }] },
  { name: 'web-ext', namespace: 'default', hosts: ['*.example.org'], ports: [{ number: 8080, name: 'http', protocol: 'HTTP' }], resolution: 'NONE' },
];

function table(over: Record<string, unknown> = {}) {
  return compileRoutes(validateConfig(baseConfig({ services, serviceEntries, ...over })));
}

describe('matchOutbound', () => {
  it('maps a ClusterIP:port to the service cluster with its endpoints', () => {
    const t = table();
    const m = matchOutbound(t, { address: '10.96.0.10', port: 80 });
    expect(m.filterChain).toBe('10.96.0.10_80');
    expect(m.handling).toBe('http');
    expect(m.cluster.name).toBe('outbound|80||httpbin.default.svc.cluster.local');
    expect(m.cluster.endpoints).toEqual([{ address: '10.244.0.7', port: 8080 }, { address: '10.244.0.8', port: 8080 }]);
    expect(pickEndpoint(m.cluster, { address: '10.96.0.10', port: 80 })).toEqual({ address: '10.244.0.7', port: 8080 });
    expect(pickEndpoint(m.cluster, { address: '10.96.0.10', port: 80 })).toEqual({ address: '10.244.0.8', port: 8080 });
    expect(matchOutbound(t, { address: '10.96.0.11', port: 5432 })).toMatchObject({ handling: 'tcp', cluster: { name: 'outbound|5432||db.data.svc.cluster.local' } });
    expect(matchOutbound(t, { address: '10.96.0.12', port: 8000 })).toMatchObject({ handling: 'auto', cluster: { endpoints: [] } });
  });

  it('sends a headless pod IP to the service cluster with the original destination', () => {
    const m = matchOutbound(table(), { address: '10.244.1.2', port: 9092 });
    expect(m.cluster.name).toBe('outbound|9092||kafka.data.svc.cluster.local');
    expect(m.cluster.originalDst).toBe(true);
    expect(pickEndpoint(m.cluster, { address: '10.244.1.2', port: 9092 })).toEqual({ address: '10.244.1.2', port: 9092 });
  });

  it('matches ServiceEntry addresses (CIDR and exact) and static endpoints', () => {
    const t = table();
    const ext = matchOutbound(t, { address: '192.0.2.99', port: 443 });
    expect(ext.cluster.name).toBe('outbound|443||api.example.com');
    expect(pickEndpoint(ext.cluster, { address: '192.0.2.99', port: 443 })).toEqual({ address: '192.0.2.99', port: 443 });
    const st = matchOutbound(t, { address: '198.51.100.7', port: 3306 });
    expect(pickEndpoint(st.cluster, { address: '198.51.100.7', port: 3306 })).toEqual({ address: '10.0.0.1', port: 3306 });
  });

  it('falls back to PassthroughCluster or BlackHoleCluster by mode', () => {
    expect(matchOutbound(table(), { address: '8.8.8.8', port: 53 })).toMatchObject({ filterChain: 'PassthroughFilterChain', handling: 'auto', cluster: { name: 'PassthroughCluster' } });
    const blocked = table({ mesh: { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } } });
    expect(matchOutbound(blocked, { address: '8.8.8.8', port: 53 }).cluster.name).toBe('BlackHoleCluster');
    // A Sidecar's own policy overrides the mesh.
    const viaSidecar = table({ sidecar: { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } } });
    expect(matchOutbound(viaSidecar, { address: '8.8.8.8', port: 53 }).cluster.name).toBe('BlackHoleCluster');
  });

  it('limits visibility to the Sidecar egress hosts', () => {
    const t = table({ sidecar: { name: 'default', namespace: 'default', egress: [{ hosts: ['./*', 'data/db.data.svc.cluster.local'] }] } });
    expect(matchOutbound(t, { address: '10.96.0.10', port: 80 }).cluster.name).toBe('outbound|80||httpbin.default.svc.cluster.local');
    expect(matchOutbound(t, { address: '10.96.0.11', port: 5432 }).cluster.name).toBe('outbound|5432||db.data.svc.cluster.local');
    // other/web and data/kafka are not visible: unknown, so passthrough (ALLOW_ANY).
    expect(matchOutbound(t, { address: '10.96.0.12', port: 8000 }).cluster.name).toBe('PassthroughCluster');
    expect(matchOutbound(t, { address: '10.244.1.1', port: 9092 }).cluster.name).toBe('PassthroughCluster');
    const none = table({ sidecar: { egress: [{ hosts: ['~/*'] }], outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } } });
    expect(matchOutbound(none, { address: '10.96.0.10', port: 80 }).cluster.name).toBe('BlackHoleCluster');
    const wildcard = table({ sidecar: { egress: [{ hosts: ['*/*.example.com'] }] } });
    expect(matchOutbound(wildcard, { address: '192.0.2.1', port: 443 }).cluster.name).toBe('outbound|443||api.example.com');
    expect(matchOutbound(wildcard, { address: '10.96.0.10', port: 80 }).cluster.name).toBe('PassthroughCluster');
  });
});

describe('routeOutboundHttp', () => {
  it('picks the virtual host by Host, with short names in the same namespace', () => {
    const t = table();
    const m = matchOutbound(t, { address: '10.96.0.10', port: 80 });
    for (const host of ['httpbin', 'httpbin:80', 'httpbin.default', 'httpbin.default.svc.cluster.local', '10.96.0.10', 'HTTPBIN.default.svc']) {
      expect(routeOutboundHttp(t, m, host), host).toMatchObject({ routeName: 'default', cluster: { name: 'outbound|80||httpbin.default.svc.cluster.local' } });
    }
    expect(routeOutboundHttp(t, m, 'example.com')).toMatchObject({ routeName: 'allow_any', cluster: { name: 'PassthroughCluster' } });
    const wild = matchOutbound(t, { address: '203.0.113.5', port: 8080 });
    expect(routeOutboundHttp(t, wild, 'www.example.org:8080')).toMatchObject({ cluster: { name: 'outbound|8080||*.example.org' } });
  });

  it('answers block_all for unknown hosts under REGISTRY_ONLY', () => {
    const t = table({ mesh: { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } } });
    const m = matchOutbound(t, { address: '93.184.216.34', port: 80 });
    expect(m.filterChain).toBe('0.0.0.0_80');
    expect(routeOutboundHttp(t, m, 'example.com')).toEqual({ routeName: 'block_all' });
    expect(routeOutboundHttp(t, m, 'httpbin.default.svc.cluster.local')).toMatchObject({ routeName: 'default' });
  });
});

describe('matchInbound', () => {
  it('uses the pod inbound ports, or the Sidecar ingress when it has any', () => {
    const t = table({ inboundPorts: [{ port: 8080, name: 'http' }, { port: 9000 }] });
    expect(matchInbound(t, { address: '10.244.0.5', port: 8080 })).toMatchObject({ handling: 'http', cluster: { name: 'inbound|8080||' } });
    expect(pickEndpoint(matchInbound(t, { address: '10.244.0.5', port: 8080 }).cluster, { address: '10.244.0.5', port: 8080 })).toEqual({ address: '10.244.0.5', port: 8080 });
    expect(matchInbound(t, { address: '10.244.0.5', port: 9000 }).handling).toBe('auto');
    expect(matchInbound(t, { address: '10.244.0.5', port: 7777 }).cluster.name).toBe('InboundPassthroughCluster');
    const si = table({
      inboundPorts: [{ port: 8080, name: 'http' }],
      sidecar: { ingress: [{ port: { number: 9080, protocol: 'HTTP' }, defaultEndpoint: '127.0.0.1:8080' }, { port: { number: 9090, name: 'tcp' }, defaultEndpoint: '0.0.0.0:7070' }] },
    });
    const a = matchInbound(si, { address: '10.244.0.5', port: 9080 });
    expect(a).toMatchObject({ handling: 'http', cluster: { name: 'inbound|9080||' } });
    expect(pickEndpoint(a.cluster, { address: '10.244.0.5', port: 9080 })).toEqual({ address: '127.0.0.1', port: 8080 });
    const b = matchInbound(si, { address: '10.244.0.5', port: 9090 });
    expect(b.handling).toBe('tcp');
    expect(pickEndpoint(b.cluster, { address: '10.244.0.5', port: 9090 })).toEqual({ address: '10.244.0.5', port: 7070 });
    expect(matchInbound(si, { address: '10.244.0.5', port: 8080 }).cluster.name).toBe('InboundPassthroughCluster');
  });
});

describe('ipInCidr', () => {
  it('handles IPv4, IPv6 and bare addresses', () => {
    expect(ipInCidr('10.1.2.3', '10.0.0.0/8')).toBe(true);
    expect(ipInCidr('11.1.2.3', '10.0.0.0/8')).toBe(false);
    expect(ipInCidr('10.1.2.3', '0.0.0.0/0')).toBe(true);
    expect(ipInCidr('fd00::1', 'fd00::/8')).toBe(true);
    expect(ipInCidr('fe80::1', 'fd00::/8')).toBe(false);
    expect(ipInCidr('10.0.0.1', 'fd00::/8')).toBe(false);
    expect(ipInCidr('1.2.3.4', '1.2.3.4')).toBe(true);
  });
});
