// Config validation: defaults, derived protocols, and errors that name the field.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, validateConfig } from '../../../src-pod/sidecar/config';
import { listenerProtocol, portProtocol } from '../../../src-pod/sidecar/protocol';
import { baseConfig } from './helpers';

describe('validateConfig', () => {
  it('fills in Istio defaults and derives hostnames and protocols', () => {
    const c = validateConfig({
      pod: { name: 'sleep', namespace: 'default', ip: '10.244.0.5' },
      services: [
        {
          name: 'httpbin',
          namespace: 'default',
          clusterIP: '10.96.0.10',
          ports: [{ name: 'http-web', port: 80, targetPort: 8080 }, { name: 'db', port: 5432 }, { port: 81, appProtocol: 'http' }],
          endpoints: [{ address: '10.244.0.7' }],
        },
      ],
    });
    expect(c.mesh).toEqual({
      outboundTrafficPolicy: { mode: 'ALLOW_ANY' },
      // Istio's defaults: no detection timeout (0) and no access log (the default profile).
      protocolDetectionTimeoutMs: 0,
      connectTimeoutMs: 10000,
      httpRetryAttempts: 2,
      routeTimeoutMs: 0,
      accessLogFile: '',
    });
    expect(c.pod.workload).toBe('sleep');
    const svc = c.services[0];
    expect(svc.hostname).toBe('httpbin.default.svc.cluster.local');
    expect(svc.ports.map((p) => [p.istioProtocol, p.targetPort, p.protocol])).toEqual([
      ['HTTP', 8080, 'TCP'],
      ['UNSUPPORTED', 5432, 'TCP'],
      ['HTTP', 81, 'TCP'],
    ]);
    expect(c.serviceEntries).toEqual([]);
    expect(c.sidecar).toBeUndefined();
  });

  it('takes Istio duration strings and ms numbers', () => {
    const c = validateConfig(baseConfig({ mesh: { protocolDetectionTimeout: '100ms', connectTimeout: '2s', outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } } }));
    expect(c.mesh.protocolDetectionTimeoutMs).toBe(100);
    expect(c.mesh.connectTimeoutMs).toBe(2000);
    expect(c.mesh.outboundTrafficPolicy.mode).toBe('REGISTRY_ONLY');
    expect(validateConfig(baseConfig({ mesh: { protocolDetectionTimeoutMs: 0 } })).mesh.protocolDetectionTimeoutMs).toBe(0);
  });

  it('rejects bad input with the path of the field', () => {
    const bad: [unknown, string][] = [
      [[], 'config: expected an object, got an array'],
      [{}, 'pod: is required'],
      [baseConfig({ pod: { name: 'a', namespace: 'b' } }), 'pod.ip: is required'],
      [baseConfig({ services: [{ name: 's', namespace: 'n', clusterIP: '10.0.0.300', ports: [] }] }), 'services[0].clusterIP: not an IP address or "None": "10.0.0.300"'],
      [baseConfig({ services: [{ name: 's', namespace: 'n', ports: [{ port: 70000 }] }] }), 'services[0].ports[0].port: expected an integer 1-65535, got 70000'],
      [baseConfig({ services: [{ name: 's', namespace: 'n', ports: [{ port: 80 }, { port: 80 }] }] }), 'services[0].ports: port 80/TCP appears twice'],
      [baseConfig({ mesh: { outboundTrafficPolicy: { mode: 'DENY' } } }), 'mesh.outboundTrafficPolicy.mode: expected one of ALLOW_ANY, REGISTRY_ONLY, got "DENY"'],
      [baseConfig({ mesh: { protocolDetectionTimeout: 'soon' } }), 'mesh.protocolDetectionTimeout: not a duration'],
      [baseConfig({ serviceEntries: [{ name: 'e', namespace: 'n', hosts: [], ports: [] }] }), 'serviceEntries[0].hosts: needs at least one host'],
      [baseConfig({ serviceEntries: [{ name: 'e', namespace: 'n', hosts: ['a.com'], ports: [{ number: 80, protocol: 'FTP' }] }] }), 'serviceEntries[0].ports[0].protocol: unknown protocol "FTP"'],
      [baseConfig({ serviceEntries: [{ name: 'e', namespace: 'n', hosts: ['a.com'], addresses: ['1.2.3.0/33'], ports: [] }] }), 'serviceEntries[0].addresses: not an IP address or CIDR: "1.2.3.0/33"'],
      [baseConfig({ serviceEntries: [{ name: 'e', namespace: 'n', hosts: ['a.com'], resolution: 'STATIC', ports: [] }] }), 'serviceEntries[0].endpoints: resolution STATIC needs endpoints'],
      [baseConfig({ sidecar: { egress: [{ hosts: ['nonamespace'] }] } }), 'sidecar.egress[0].hosts: not a "namespace/dnsName" egress host: "nonamespace"'],
      [baseConfig({ sidecar: { ingress: [{ port: { number: 9080 }, defaultEndpoint: 'localhost' }] } }), 'sidecar.ingress[0].defaultEndpoint: expected "127.0.0.1:PORT" or "0.0.0.0:PORT": "localhost"'],
      [baseConfig({ inboundPorts: [{ port: 'x' }] }), 'inboundPorts[0].port: expected an integer 1-65535, got "x"'],
    ];
    for (const [input, message] of bad) {
      expect(() => validateConfig(input), message).toThrow(ConfigError);
      expect(() => validateConfig(input)).toThrow(message);
    }
    expect(() => parseConfig('{nope')).toThrow(/^config is not JSON: /);
  });

  it('accepts a full ServiceEntry and Sidecar', () => {
    const c = validateConfig(
      baseConfig({
        serviceEntries: [{ name: 'ext', namespace: 'default', hosts: ['api.example.com'], addresses: ['192.0.2.0/24'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }], resolution: 'DNS', location: 'MESH_EXTERNAL' }],
        sidecar: { name: 'default', namespace: 'default', egress: [{ hosts: ['./*', 'istio-system/*', '*/api.example.com'] }], outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } },
      }),
    );
    expect(c.serviceEntries[0].ports[0].istioProtocol).toBe('TLS');
    expect(c.sidecar?.outboundTrafficPolicy?.mode).toBe('REGISTRY_ONLY');
  });
});

describe('port protocol (Istio rules)', () => {
  it('reads the name prefix up to the first dash and prefers appProtocol', () => {
    expect(portProtocol(8080, 'http')).toBe('HTTP');
    expect(portProtocol(8080, 'http-web')).toBe('HTTP');
    expect(portProtocol(8080, 'HTTP2-x')).toBe('HTTP2');
    expect(portProtocol(8080, 'grpc-api')).toBe('GRPC');
    expect(portProtocol(8080, 'grpc-web')).toBe('GRPC-Web');
    expect(portProtocol(8080, 'tcp-db')).toBe('TCP');
    expect(portProtocol(8080, 'tls-x')).toBe('TLS');
    expect(portProtocol(8080, 'mysql')).toBe('MySQL');
    expect(portProtocol(8080, 'httpx')).toBe('UNSUPPORTED');
    expect(portProtocol(8080, '')).toBe('UNSUPPORTED');
    expect(portProtocol(8080, 'web', 'http')).toBe('HTTP');
    expect(portProtocol(8080, 'http', 'tcp')).toBe('TCP');
    expect(portProtocol(8080, 'x', 'kubernetes.io/h2c')).toBe('HTTP2');
    expect(portProtocol(8080, 'http', undefined, 'UDP')).toBe('UDP');
    // kube.ConvertProtocol: an unknown appProtocol is not rescued by the name; undeclared 25/53/3306/27017 are TCP.
    expect(portProtocol(8080, 'http', 'custom')).toBe('UNSUPPORTED');
    for (const p of [25, 53, 3306, 27017]) expect(portProtocol(p, ''), String(p)).toBe('TCP');
    expect(portProtocol(25, 'http')).toBe('HTTP');
    expect(portProtocol(3307, '')).toBe('UNSUPPORTED');
  });

  it('reads a ServiceEntry port by its protocol field only', () => {
    const c = validateConfig(baseConfig({ serviceEntries: [{ name: 'e', namespace: 'n', hosts: ['a.com'], ports: [{ number: 80, name: 'http' }, { number: 81, name: 'x', protocol: 'HTTP' }] }] }));
    expect(c.serviceEntries[0].ports.map((p) => p.istioProtocol)).toEqual(['UNSUPPORTED', 'HTTP']);
  });

  it('maps protocols to proxy handling', () => {
    expect(listenerProtocol('HTTP')).toBe('http');
    expect(listenerProtocol('UNSUPPORTED')).toBe('auto');
    expect(listenerProtocol('TCP')).toBe('tcp');
    expect(listenerProtocol('MySQL')).toBe('tcp');
    expect(listenerProtocol('GRPC')).toBe('http');
    expect(listenerProtocol('UDP')).toBe('none');
  });
});
