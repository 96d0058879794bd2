// Istio's metrics merge at injection: annotations moved to ISTIO_PROMETHEUS_ANNOTATIONS and pointed at the agent.
import { describe, expect, it } from 'vitest';
import { renderInjectedPod } from '../../../src-main/lab/injection';
import { applyPrometheusMerge } from '../../../src-main/lab/injection/prometheus-merge';

describe('applyPrometheusMerge', () => {
  it('moves the pod annotations to the env and points Prometheus at the agent', () => {
    const r = applyPrometheusMerge({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8080', 'prometheus.io/path': '/m', other: 'x' }, true, 15020);
    expect(r.env).toBe('{"scrape":"true","path":"/m","port":"8080"}');
    expect(r.annotations).toEqual({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '15020', 'prometheus.io/path': '/stats/prometheus', other: 'x' });
  });

  it('clears every spelling Prometheus reads alike', () => {
    const r = applyPrometheusMerge({ 'prometheus.io.port': '9090', 'prometheus-io/path': '/x' }, true, 15020);
    expect(r.env).toBe('{"scrape":"","path":"/x","port":"9090"}');
    expect(Object.keys(r.annotations).sort()).toEqual(['prometheus.io/path', 'prometheus.io/port', 'prometheus.io/scrape']);
  });

  it('without prometheus annotations: the agent is scraped, no env', () => {
    const r = applyPrometheusMerge({}, true, 15020);
    expect(r.env).toBeUndefined();
    expect(r.annotations['prometheus.io/port']).toBe('15020');
  });

  it('leaves the pod alone when scrape is false, the merge is off, or the port already is the agent', () => {
    expect(applyPrometheusMerge({ 'prometheus.io/scrape': 'False', 'prometheus.io/port': '8080' }, true, 15020)).toEqual({
      annotations: { 'prometheus.io/scrape': 'False', 'prometheus.io/port': '8080' },
    });
    expect(applyPrometheusMerge({ 'prometheus.io/port': '8080' }, false, 15020).env).toBeUndefined();
    expect(applyPrometheusMerge({ 'prometheus.io/port': '8080', 'prometheus.istio.io/merge-metrics': 'false' }, true, 15020).annotations).toEqual({
      'prometheus.io/port': '8080',
      'prometheus.istio.io/merge-metrics': 'false',
    });
    // The annotation wins over the mesh setting both ways.
    expect(applyPrometheusMerge({ 'prometheus.io/port': '8080', 'prometheus.istio.io/merge-metrics': 'true' }, false, 15020).env).toBe(
      '{"scrape":"","path":"","port":"8080"}',
    );
    expect(applyPrometheusMerge({ 'prometheus.io/port': '15020', 'prometheus.io/path': '/own' }, true, 15020).annotations['prometheus.io/path']).toBe('/own');
  });
});

describe('renderInjectedPod', () => {
  it('gives istio-proxy ISTIO_PROMETHEUS_ANNOTATIONS after the app probers', () => {
    const pod = renderInjectedPod({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9090' } },
      spec: { containers: [{ name: 'web', image: 'x', readinessProbe: { httpGet: { path: '/ready', port: 80 } } }] },
    });
    const proxy = pod.spec?.containers?.find((c) => c.name === 'istio-proxy');
    const names = (proxy?.env ?? []).map((e) => e.name);
    expect(names.slice(-2)).toEqual(['ISTIO_KUBE_APP_PROBERS', 'ISTIO_PROMETHEUS_ANNOTATIONS']);
    expect(proxy?.env?.at(-1)?.value).toBe('{"scrape":"true","path":"","port":"9090"}');
    expect(pod.metadata?.annotations?.['prometheus.io/port']).toBe('15020');
  });
});
