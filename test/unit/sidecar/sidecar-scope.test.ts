// The Sidecar scope's service selection, on the cases of Istio's own pilot/pkg/model/sidecar_test.go.
import { describe, expect, it } from 'vitest';
import { validateConfig, type ProxyConfig } from '../../../src-pod/sidecar/config';
import type { ModelService } from '../../../src-pod/sidecar/xds/services';
import { hostSubsetOf, sidecarScopeServices } from '../../../src-pod/sidecar/xds/sidecar-scope';
import { baseConfig } from './helpers';

function svc(hostname: string, namespace: string, ports: number[] = [], registry: ModelService['registry'] = 'Kubernetes'): ModelService {
  return {
    hostname,
    name: hostname,
    namespace,
    address: '0.0.0.0',
    resolution: 'ClientSideLB',
    registry,
    ports: ports.map((port) => ({ name: `p${port}`, port, protocol: 'HTTP', targetPort: port })),
    endpoints: new Map(ports.map((p) => [p, []])),
  };
}

/** A proxy in `namespace` with these egress listeners (hosts and an optional port). */
function proxy(namespace: string, egress?: { hosts: string[]; port?: { number: number; protocol?: string; name?: string } }[]): ProxyConfig {
  const config = validateConfig(baseConfig());
  return { ...config, pod: { ...config.pod, namespace }, ...(egress ? { sidecar: { name: 'default', namespace, egress, ingress: [] } } : {}) };
}

/** What the scope kept: `namespace/hostname:ports`. */
function seen(config: ProxyConfig, all: ModelService[]): string[] {
  return sidecarScopeServices(config, all).map((s) => `${s.namespace}/${s.hostname}:${s.ports.map((p) => p.port).join(',')}`);
}

describe('hostSubsetOf (host.Name.SubsetOf)', () => {
  it('matches exact names, `*`, and `*.suffix`, wildcard services included', () => {
    expect(hostSubsetOf('a.example.com', '*')).toBe(true);
    expect(hostSubsetOf('a.example.com', '*.example.com')).toBe(true);
    expect(hostSubsetOf('example.com', '*.example.com')).toBe(false);
    expect(hostSubsetOf('*.example.com', '*.com')).toBe(true);
    expect(hostSubsetOf('*.com', '*.example.com')).toBe(false);
    expect(hostSubsetOf('*.example.com', 'a.example.com')).toBe(false);
    expect(hostSubsetOf('a.example.com', 'a.example.com')).toBe(true);
  });
});

describe('TestIstioEgressListenerWrapper (one listener, proxy in namespace a)', () => {
  const A8000 = svc('host', 'a', [8000]);
  const A9000 = svc('host', 'a', [9000]);
  const Aalt = svc('alt', 'a', [8000]);
  const B8000 = svc('host', 'b', [8000]);
  const B9000 = svc('host', 'b', [9000]);
  const Balt = svc('alt', 'b', [8000]);
  const all = [A8000, A9000, Aalt, B8000, B9000, Balt];
  const cases: { name: string; hosts: string[]; services: ModelService[]; expected: ModelService[] }[] = [
    { name: '*/* imports only those in a', hosts: ['*/*'], services: all, expected: [A8000, A9000, Aalt] },
    { name: '*/* will bias towards configNamespace', hosts: ['*/*'], services: [B8000, B9000, Balt, A8000, A9000, Aalt], expected: [A8000, A9000, Aalt] },
    { name: 'a/* imports only those in a', hosts: ['a/*'], services: all, expected: [A8000, A9000, Aalt] },
    { name: 'b/*, b/* imports only those in b', hosts: ['b/*', 'b/*'], services: all, expected: [B8000, B9000, Balt] },
    { name: '*/alt imports alt in namespace a', hosts: ['*/alt'], services: all, expected: [Aalt] },
    { name: 'b/alt imports alt in a namespaces', hosts: ['b/alt'], services: all, expected: [Balt] },
    { name: "b/* imports doesn't import in namespace a with proxy in a", hosts: ['b/*'], services: [A8000], expected: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(sidecarScopeServices(proxy('a', [{ hosts: c.hosts }]), c.services)).toEqual(c.expected);
    });
  }
});

describe('TestCreateSidecarScope (proxy in mynamespace)', () => {
  const ns = 'mynamespace';
  it('without a Sidecar, or without egress, everything is imported', () => {
    expect(seen(proxy(ns), [svc('bar', 'foo'), svc('barprime', 'foo')])).toEqual(['foo/bar:', 'foo/barprime:']);
    expect(seen(proxy(ns, []), [svc('bar', 'foo')])).toEqual(['foo/bar:']);
  });

  it('sidecar-with-multiple-egress-noport-with-services: foo/bar and */*', () => {
    expect(seen(proxy(ns, [{ hosts: ['foo/bar', '*/*'] }]), [svc('bar', 'foo'), svc('barprime', 'foo')])).toEqual(['foo/bar:', 'foo/barprime:']);
  });

  it('sidecar-with-egress-port-match-with-services-with-and-without-port', () => {
    const l = [{ port: { number: 8000, protocol: 'HTTP', name: 'uds' }, hosts: ['foo/*'] }];
    expect(seen(proxy(ns, l), [svc('bar', 'foo', [8000]), svc('barprime', 'foo')])).toEqual(['foo/bar:8000']);
  });

  it('sidecar-with-egress-port-trims-service-non-matching-ports', () => {
    const l = [{ port: { number: 8000, protocol: 'HTTP', name: 'uds' }, hosts: ['foo/*'] }];
    expect(seen(proxy(ns, l), [svc('bar', 'foo', [8000, 7000])])).toEqual(['foo/bar:8000']);
  });

  const twoListeners = [
    { port: { number: 8000, protocol: 'HTTP', name: 'uds' }, hosts: ['foo/*'] },
    { port: { number: 7000, protocol: 'HTTP', name: 'uds' }, hosts: ['foo/*'] },
  ];
  it('sidecar-with-egress-port-merges-service-ports', () => {
    expect(seen(proxy(ns, twoListeners), [svc('bar', 'foo', [8000, 7000])])).toEqual(['foo/bar:8000,7000']);
  });

  it('sidecar-with-egress-port-trims-and-merges-service-ports', () => {
    const services = [svc('bar', 'foo', [8000, 7000]), svc('barprime', 'foo', [8000]), svc('foo', 'foo', [8000, 7000, 9000])];
    expect(seen(proxy(ns, twoListeners), services)).toEqual(['foo/bar:8000,7000', 'foo/barprime:8000', 'foo/foo:8000,7000']);
  });

  it('two-egresslisteners-one-with-port-and-without-port', () => {
    const l = [
      { port: { number: 23145, protocol: 'TCP', name: 'outbound-tcp' }, hosts: ['*/bookinginfo.com', '*/private.com'] },
      { hosts: ['ns1/*', '*/*.tcp.com'] },
    ];
    expect(seen(proxy(ns, l), [svc('bookinginfo.com', 'ns1', [9999]), svc('private.com', 'ns1')])).toEqual(['ns1/bookinginfo.com:9999', 'ns1/private.com:']);
  });

  const configs9 = [
    { port: { number: 7443, protocol: 'GRPC', name: 'grpc-tls' }, hosts: ['*/*'] },
    { port: { number: 7442, protocol: 'HTTP', name: 'http-tls' }, hosts: ['ns2/*'] },
  ];
  it('wild-card-egress-listener-match', () => {
    const services = [
      svc('foo.svc.cluster.local', 'ns1', [7443]),
      svc('baz.svc.cluster.local', 'ns3', [7443]),
      svc('bar.svc.cluster.local', 'ns2', [7442]),
      svc('barprime.svc.cluster.local', 'ns3', [7442]),
    ];
    expect(seen(proxy(ns, configs9), services)).toEqual(['ns1/foo.svc.cluster.local:7443', 'ns3/baz.svc.cluster.local:7443', 'ns2/bar.svc.cluster.local:7442']);
  });

  it('wild-card-egress-listener-match-with-two-ports', () => {
    const services = [svc('foo.svc.cluster.local', 'ns1', [7443]), svc('bar.svc.cluster.local', 'ns2', [7443, 7442]), svc('barprime.svc.cluster.local', 'ns3', [7442])];
    expect(seen(proxy(ns, configs9), services)).toEqual(['ns1/foo.svc.cluster.local:7443', 'ns2/bar.svc.cluster.local:7443,7442']);
  });

  it('http-proxy-protocol-matches-any-port', () => {
    const l = [{ port: { number: 7443, protocol: 'http_proxy', name: 'grpc-tls' }, hosts: ['*/*'] }];
    const services = [svc('bar', 'foo', [8000, 7000]), svc('barprime', 'foo', [8000]), svc('foo', 'foo', [8000, 7000, 9000])];
    expect(seen(proxy(ns, l), services)).toEqual(['foo/bar:8000,7000', 'foo/barprime:8000', 'foo/foo:8000,7000,9000']);
  });
});

describe('namespaces and hostnames', () => {
  it('`./*` in a root-namespace Sidecar is the workload namespace; `~/*` imports nothing', () => {
    const services = [svc('web.shop.svc.cluster.local', 'shop', [80]), svc('db.data.svc.cluster.local', 'data', [5432]), svc('istiod.istio-system.svc.cluster.local', 'istio-system', [15012])];
    const root = (hosts: string[]): ProxyConfig => ({ ...proxy('shop'), sidecar: { name: 'default', namespace: 'istio-system', egress: [{ hosts }], ingress: [] } });
    expect(seen(root(['./*', 'istio-system/*']), services)).toEqual(['shop/web.shop.svc.cluster.local:80', 'istio-system/istiod.istio-system.svc.cluster.local:15012']);
    expect(seen(root(['~/*']), services)).toEqual([]);
  });

  it('one namespace per hostname: a Kubernetes Service over a ServiceEntry elsewhere, the own namespace first', () => {
    const kube = svc('api.shop.svc.cluster.local', 'shop', [80]);
    const squatter = svc('api.shop.svc.cluster.local', 'other', [80], 'External');
    // Seen first or not, the Kubernetes Service keeps its hostname from a ServiceEntry in a third namespace.
    expect(seen(proxy('client'), [squatter, kube])).toEqual(['shop/api.shop.svc.cluster.local:80']);
    // A ServiceEntry in the proxy's own namespace wins over a Service elsewhere.
    const own = svc('api.shop.svc.cluster.local', 'client', [80], 'External');
    expect(seen(proxy('client'), [kube, own])).toEqual(['client/api.shop.svc.cluster.local:80']);
    // Two ServiceEntries elsewhere: the first seen.
    expect(seen(proxy('client'), [svc('ext.example.com', 'b', [443], 'External'), svc('ext.example.com', 'a', [443], 'External')])).toEqual(['b/ext.example.com:443']);
  });

  it('the first listener to import a hostname keeps it; later ones only add ports of the same service', () => {
    const l = [{ hosts: ['b/ext.example.com'] }, { hosts: ['a/ext.example.com'] }];
    expect(seen(proxy('client', l), [svc('ext.example.com', 'a', [443], 'External'), svc('ext.example.com', 'b', [8443], 'External')])).toEqual(['b/ext.example.com:8443']);
  });
});
