// pilot-agent's reading of ISTIO_KUBE_APP_PROBERS and ISTIO_PROMETHEUS_ANNOTATIONS, its Host rewrite, metrics format and number format.
import { describe, expect, it } from 'vitest';
import { appProbeHost, negotiateMetricsFormat, parseAppProbers, parseScrapeTarget } from '../../../src-pod/sidecar/agent/agent-env';
import { goFloat } from '../../../src-pod/sidecar/agent/agent-metrics';
import { healthStatus } from '../../../src-pod/sidecar/agent/app-probe';
import { validateConfig } from '../../../src-pod/sidecar/config';
import { baseConfig } from './helpers';

describe('ISTIO_KUBE_APP_PROBERS', () => {
  it('reads the injector JSON: httpGet, tcpSocket and grpc, with their timeouts', () => {
    // The value Istio's hello-probes test data carries, plus a TCP and a gRPC prober.
    const probers = parseAppProbers(
      '{"/app-health/hello/livez":{"httpGet":{"port":80}},"/app-health/hello/readyz":{"httpGet":{"path":"/ready","port":3333,"scheme":"HTTPS"},"timeoutSeconds":2},' +
        '"/app-health/db/livez":{"tcpSocket":{"port":5432}},"/app-health/rpc/startupz":{"grpc":{"port":9000,"service":"x"},"timeoutSeconds":1}}',
    );
    expect(probers.get('/app-health/hello/livez')).toEqual({ httpGet: { port: 80 }, timeoutSeconds: 0 });
    expect(probers.get('/app-health/hello/readyz')).toEqual({ httpGet: { path: '/ready', port: 3333, scheme: 'HTTPS' }, timeoutSeconds: 2 });
    expect(probers.get('/app-health/db/livez')).toEqual({ tcpSocket: { port: 5432 }, timeoutSeconds: 0 });
    expect(probers.get('/app-health/rpc/startupz')).toEqual({ grpc: { port: 9000, service: 'x' }, timeoutSeconds: 1 });
    expect(parseAppProbers(undefined).size).toBe(0);
  });

  it('refuses what pilot-agent refuses, naming the variable', () => {
    expect(() => parseAppProbers('{')).toThrow(/^ISTIO_KUBE_APP_PROBERS: failed to decode app prober err = .*json string = \{$/);
    expect(() => parseAppProbers('{"/healthz":{"httpGet":{"port":80}}}')).toThrow(/invalid path \/healthz, must be in form of regex pattern/);
    expect(() => parseAppProbers('{"/app-health/a/livez":{"httpGet":{"port":"http"}}}')).toThrow(
      'ISTIO_KUBE_APP_PROBERS: invalid prober config for /app-health/a/livez, the port must be int type',
    );
    expect(() => parseAppProbers('{"/app-health/a/livez":{"httpGet":{"port":80},"tcpSocket":{"port":80}}}')).toThrow(
      /invalid prober type, must be one of type httpGet, tcpSocket or gRPC/,
    );
    expect(() => parseAppProbers('{"/app-health/a/livez":{}}')).toThrow(/invalid prober type/);
  });
});

describe('ISTIO_PROMETHEUS_ANNOTATIONS', () => {
  it('fills path /metrics and port 80 as the agent does; scrape "false" means no app target', () => {
    expect(parseScrapeTarget('{"scrape":"true","path":"","port":"8080"}', 15020)).toEqual({ path: '/metrics', port: '8080' });
    expect(parseScrapeTarget('{"scrape":"","path":"/m","port":""}', 15020)).toEqual({ path: '/m', port: '80' });
    expect(parseScrapeTarget('{"scrape":"false","path":"/m","port":"8080"}', 15020)).toBeUndefined();
    expect(parseScrapeTarget(undefined, 15020)).toBeUndefined();
  });

  it('refuses the agent port itself (a scrape loop) and bad JSON', () => {
    expect(() => parseScrapeTarget('{"port":"15020"}', 15020)).toThrow(/application port is the same as agent port.*prometheus\.io\/port=15020/);
    expect(() => parseScrapeTarget('nope', 15020)).toThrow(/^failed to unmarshal ISTIO_PROMETHEUS_ANNOTATIONS/);
  });
});

describe('the Host the app sees', () => {
  it('replaces the status port by the app port, and only that', () => {
    expect(appProbeHost('10.0.0.5:15020', 15020, 8080)).toBe('10.0.0.5:8080');
    expect(appProbeHost('[fd00::5]:15020', 15020, 8080)).toBe('[fd00::5]:8080');
    expect(appProbeHost('example.com', 15020, 8080)).toBe('example.com');
    expect(appProbeHost('example.com:9999', 15020, 8080)).toBe('example.com:9999');
  });
});

describe('the merged scrape format', () => {
  it('follows the app: OpenMetrics 1.0.0 or 0.0.1, else text 0.0.4', () => {
    expect(negotiateMetricsFormat('application/openmetrics-text; version=1.0.0; charset=utf-8')).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(negotiateMetricsFormat('application/openmetrics-text')).toBe('application/openmetrics-text; version=0.0.1; charset=utf-8');
    expect(negotiateMetricsFormat('application/openmetrics-text; version=2.0.0')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(negotiateMetricsFormat('application/json')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(negotiateMetricsFormat(undefined)).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it("writes numbers as Go's shortest %g", () => {
    expect(goFloat(3)).toBe('3');
    expect(goFloat(0.25)).toBe('0.25');
    expect(goFloat(1048576)).toBe('1.048576e+06');
    expect(goFloat(1765123456.78)).toBe('1.76512345678e+09');
    expect(goFloat(0.00001)).toBe('1e-05');
    expect(goFloat(999999)).toBe('999999');
  });
});

describe('grpc.health.v1 HealthCheckResponse', () => {
  it('reads the status field from a gRPC frame', () => {
    const frame = (msg: number[]): Buffer => Buffer.from([0, 0, 0, 0, msg.length, ...msg]);
    expect(healthStatus(frame([0x08, 0x01]))).toBe(1);
    expect(healthStatus(frame([0x08, 0x02]))).toBe(2);
    expect(healthStatus(frame([]))).toBe(0);
  });
});

describe("the config's proxyEnv", () => {
  it('keeps the names the agent reads and refuses a bad value, naming the field', () => {
    const env = { ISTIO_PROMETHEUS_ANNOTATIONS: '{"port":"9090"}', OTHER: 'x' };
    expect(validateConfig(baseConfig({ proxyEnv: env })).proxyEnv).toEqual({ ISTIO_PROMETHEUS_ANNOTATIONS: '{"port":"9090"}' });
    expect(() => validateConfig(baseConfig({ proxyEnv: { ISTIO_KUBE_APP_PROBERS: '{' } }))).toThrow(
      /^proxyEnv\.ISTIO_KUBE_APP_PROBERS: ISTIO_KUBE_APP_PROBERS: failed to decode app prober/,
    );
    expect(() => validateConfig(baseConfig({ proxyEnv: { ISTIO_PROMETHEUS_ANNOTATIONS: 7 } }))).toThrow(/^proxyEnv\.ISTIO_PROMETHEUS_ANNOTATIONS: /);
  });
});
