// Pure matching on the compiled xDS snapshot: (original destination[, bytes, Host]) -> listener, chain, route, cluster.
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src-pod/sidecar/config';
import { ipInCidr } from '../../../src-pod/sidecar/net-util';
import { compileTable, findRoute, handOff, pickEndpoint, selectChain, type Address, type FilterChain, type RouteTable } from '../../../src-pod/sidecar/routing';
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

function table(over: Record<string, unknown> = {}): RouteTable {
  return compileTable(validateConfig(baseConfig({ services, serviceEntries, ...over })));
}

/** The listener use_original_dst hands the connection to, and its chain for plain bytes or HTTP/1.1. */
function chain(t: RouteTable, dst: Address, alpn?: string): FilterChain | undefined {
  return selectChain(handOff(t, dst), dst, 'raw_buffer', alpn);
}

describe('outbound listeners and chains', () => {
  it('builds 0.0.0.0_PORT for HTTP and VIP_PORT for TCP, each with its cluster', () => {
    const t = table();
    expect(handOff(t, { address: '10.96.0.10', port: 80 }).name).toBe('0.0.0.0_80');
    const http = chain(t, { address: '10.96.0.10', port: 80 }, 'http/1.1');
    expect(http?.kind).toBe('http');
    const route = findRoute(http?.routes as NonNullable<FilterChain['routes']>, 'httpbin');
    expect(route?.cluster?.name).toBe('outbound|80||httpbin.default.svc.cluster.local');
    expect(route?.cluster?.endpoints).toEqual([{ address: '10.244.0.7', port: 8080 }, { address: '10.244.0.8', port: 8080 }]);
    const c = route?.cluster as NonNullable<typeof route>['cluster'] & object;
    expect(pickEndpoint(c, { address: '10.96.0.10', port: 80 })).toEqual({ address: '10.244.0.7', port: 8080 });
    expect(pickEndpoint(c, { address: '10.96.0.10', port: 80 })).toEqual({ address: '10.244.0.8', port: 8080 });
    // Not HTTP on an HTTP port: the listener's PassthroughFilterChain.
    expect(chain(t, { address: '10.96.0.10', port: 80 })).toMatchObject({ name: 'PassthroughFilterChain', kind: 'tcp', cluster: { name: 'PassthroughCluster' } });
    expect(handOff(t, { address: '10.96.0.11', port: 5432 }).name).toBe('10.96.0.11_5432');
    expect(chain(t, { address: '10.96.0.11', port: 5432 })).toMatchObject({ kind: 'tcp', cluster: { name: 'outbound|5432||db.data.svc.cluster.local' } });
    // An unnamed port on a VIP is sniffed: HTTP and TCP chains on 10.96.0.12_8000.
    expect(handOff(t, { address: '10.96.0.12', port: 8000 }).name).toBe('10.96.0.12_8000');
    expect(chain(t, { address: '10.96.0.12', port: 8000 }, 'http/1.1')?.kind).toBe('http');
    expect(chain(t, { address: '10.96.0.12', port: 8000 })).toMatchObject({ kind: 'tcp', cluster: { name: 'outbound|8000||web.other.svc.cluster.local' } });
  });

  it('gives headless endpoints a listener each, to the original destination', () => {
    const t = table();
    expect(handOff(t, { address: '10.244.1.2', port: 9092 }).name).toBe('10.244.1.2_9092');
    const c = chain(t, { address: '10.244.1.2', port: 9092 });
    expect(c?.cluster?.name).toBe('outbound|9092||kafka.data.svc.cluster.local');
    expect(c?.cluster?.originalDst).toBe(true);
    expect(pickEndpoint(c?.cluster as NonNullable<FilterChain['cluster']>, { address: '10.244.1.2', port: 9092 })).toEqual({ address: '10.244.1.2', port: 9092 });
  });

  it('matches ServiceEntry addresses (CIDR and exact) and static endpoints', () => {
    const t = table();
    const ext = chain(t, { address: '192.0.2.99', port: 443 });
    expect(ext?.cluster?.name).toBe('outbound|443||api.example.com');
    const st = chain(t, { address: '198.51.100.7', port: 3306 });
    expect(pickEndpoint(st?.cluster as NonNullable<FilterChain['cluster']>, { address: '198.51.100.7', port: 3306 })).toEqual({ address: '10.0.0.1', port: 3306 });
  });

  it('sends undeclared ports to the virtualOutbound TCP catch-all: PassthroughCluster or BlackHoleCluster', () => {
    expect(handOff(table(), { address: '8.8.8.8', port: 9999 }).name).toBe('virtualOutbound');
    expect(chain(table(), { address: '8.8.8.8', port: 9999 }, 'http/1.1')).toMatchObject({ name: 'virtualOutbound-catchall-tcp', kind: 'tcp', cluster: { name: 'PassthroughCluster' } });
    const blocked = table({ mesh: { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } } });
    expect(chain(blocked, { address: '8.8.8.8', port: 9999 })?.cluster?.name).toBe('BlackHoleCluster');
    // A Sidecar's own policy overrides the mesh.
    const viaSidecar = table({ sidecar: { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } } });
    expect(chain(viaSidecar, { address: '8.8.8.8', port: 9999 })?.cluster?.name).toBe('BlackHoleCluster');
  });

  it('limits visibility to the Sidecar egress hosts', () => {
    const t = table({ sidecar: { name: 'default', namespace: 'default', egress: [{ hosts: ['./*', 'data/db.data.svc.cluster.local'] }] } });
    expect(findRoute(chain(t, { address: '10.96.0.10', port: 80 }, 'http/1.1')?.routes as NonNullable<FilterChain['routes']>, 'httpbin')?.cluster?.name).toBe('outbound|80||httpbin.default.svc.cluster.local');
    expect(chain(t, { address: '10.96.0.11', port: 5432 })?.cluster?.name).toBe('outbound|5432||db.data.svc.cluster.local');
    // other/web and data/kafka are not visible: no listener, so the catch-all (ALLOW_ANY).
    expect(handOff(t, { address: '10.96.0.12', port: 8000 }).name).toBe('virtualOutbound');
    expect(handOff(t, { address: '10.244.1.1', port: 9092 }).name).toBe('virtualOutbound');
    // The mesh-wide default Sidecar in the root namespace: `./*` is the workload's namespace.
    const root = table({ sidecar: { name: 'default', namespace: 'istio-system', egress: [{ hosts: ['./*', 'istio-system/*'] }] } });
    expect(handOff(root, { address: '10.96.0.10', port: 80 }).name).toBe('0.0.0.0_80');
    expect(handOff(root, { address: '10.96.0.11', port: 5432 }).name).toBe('virtualOutbound');
    const none = table({ sidecar: { egress: [{ hosts: ['~/*'] }] } });
    expect(handOff(none, { address: '10.96.0.10', port: 80 }).name).toBe('virtualOutbound');
    const wildcard = table({ sidecar: { egress: [{ hosts: ['*/*.example.com'] }] } });
    expect(chain(wildcard, { address: '192.0.2.1', port: 443 })?.cluster?.name).toBe('outbound|443||api.example.com');
    expect(handOff(wildcard, { address: '10.96.0.10', port: 80 }).name).toBe('virtualOutbound');
  });
});

describe('routes by Host', () => {
  it('picks the virtual host by Host, with short names in the same namespace; allow_any or block_all otherwise', () => {
    const t = table();
    const routes = chain(t, { address: '10.96.0.10', port: 80 }, 'http/1.1')?.routes as NonNullable<FilterChain['routes']>;
    for (const host of ['httpbin', 'httpbin:80', 'httpbin.default', 'httpbin.default.svc.cluster.local', '10.96.0.10', 'HTTPBIN.default.svc']) {
      expect(findRoute(routes, host), host).toMatchObject({ name: 'default', cluster: { name: 'outbound|80||httpbin.default.svc.cluster.local' } });
    }
    expect(findRoute(routes, 'example.com')).toMatchObject({ name: 'allow_any', cluster: { name: 'PassthroughCluster' } });
    const wild = chain(t, { address: '203.0.113.5', port: 8080 }, 'http/1.1')?.routes as NonNullable<FilterChain['routes']>;
    expect(findRoute(wild, 'www.example.org:8080')).toMatchObject({ cluster: { name: 'outbound|8080||*.example.org' } });
    const blocked = table({ mesh: { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } } });
    const b = chain(blocked, { address: '93.184.216.34', port: 80 }, 'http/1.1');
    expect(b?.listener).toBe('0.0.0.0_80');
    expect(findRoute(b?.routes as NonNullable<FilterChain['routes']>, 'example.com')).toMatchObject({ name: 'block_all', directStatus: 502 });
  });
});

describe('virtualInbound', () => {
  it('uses the pod inbound ports, or the Sidecar ingress when it has any', () => {
    const t = table({ inboundPorts: [{ port: 8080, name: 'http' }, { port: 9000 }] });
    const inbound = (tt: RouteTable, port: number, alpn?: string): FilterChain | undefined => selectChain(tt.virtualInbound, { address: '10.244.0.5', port }, 'raw_buffer', alpn);
    expect(inbound(t, 8080, 'http/1.1')).toMatchObject({ kind: 'http' });
    expect(findRoute(inbound(t, 8080, 'http/1.1')?.routes as NonNullable<FilterChain['routes']>, 'x')?.cluster?.name).toBe('inbound|8080||');
    expect(inbound(t, 9000)).toMatchObject({ kind: 'tcp', cluster: { name: 'inbound|9000||' } });
    expect(inbound(t, 7777)?.cluster?.name).toBe('InboundPassthroughCluster');
    const si = table({
      inboundPorts: [{ port: 8080, name: 'http' }],
      sidecar: { ingress: [{ port: { number: 9080, protocol: 'HTTP' }, defaultEndpoint: '127.0.0.1:8080' }, { port: { number: 9090, name: 'tcp' }, defaultEndpoint: '0.0.0.0:7070' }] },
    });
    const a = findRoute(inbound(si, 9080, 'http/1.1')?.routes as NonNullable<FilterChain['routes']>, 'x')?.cluster;
    expect(a?.name).toBe('inbound|9080||');
    expect(pickEndpoint(a as NonNullable<typeof a>, { address: '10.244.0.5', port: 9080 })).toEqual({ address: '127.0.0.1', port: 8080 });
    const b = inbound(si, 9090)?.cluster;
    expect(pickEndpoint(b as NonNullable<typeof b>, { address: '10.244.0.5', port: 9090 })).toEqual({ address: '10.244.0.5', port: 7070 });
    expect(inbound(si, 8080)?.cluster?.name).toBe('InboundPassthroughCluster');
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
