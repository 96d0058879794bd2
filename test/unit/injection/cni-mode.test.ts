// Istio's CNI mode in the lab's injector: istio-validation in place of istio-init and the annotations istio-cni reads, as in Istio's hello.yaml.cni.injected.
import { describe, expect, it } from 'vitest';
import { readInjectorValues, renderInjectedPod, type KubePod } from '../../../src-main/lab/injection';

const hello = (annotations: Record<string, string> = {}): KubePod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'hello', namespace: 'default', labels: { app: 'hello' }, annotations },
  spec: {
    initContainers: [{ name: 'fetch-config', image: 'busybox', command: ['wget', 'http://config'] }],
    containers: [{ name: 'hello', image: 'fake.docker.io/google-samples/hello-go-gke:1.0', ports: [{ name: 'http', containerPort: 80 }] }],
  },
}); // prettier-ignore

const valuesWith = (v: Record<string, unknown>) => {
  const r = readInjectorValues(v);
  expect(r.problems).toEqual([]);
  return r.values;
};

describe('the injector in CNI mode', () => {
  it.each([
    ['istio_cni.enabled (charts before 1.21)', { istio_cni: { enabled: true } }],
    ['pilot.cni.enabled (charts since 1.21)', { pilot: { cni: { enabled: true, provider: 'default' }, autoscaleEnabled: false } }],
  ])('%s: writes an unprivileged istio-validation after the pod’s own init containers, and no istio-init', (_, v) => {
    const out = renderInjectedPod(hello(), { values: valuesWith(v) });
    expect(out.spec?.initContainers?.map((c) => c.name)).toEqual(['fetch-config', 'istio-validation']);
    const validation = out.spec?.initContainers?.[1];
    // Istio's golden hello.yaml.cni.injected: the same flags as istio-init, then only validation.
    expect(validation?.args?.slice(-2)).toEqual(['--run-validation', '--skip-rule-apply']);
    expect(validation?.args).toEqual(expect.arrayContaining(['-m', 'REDIRECT', '-d', '15090,15021,15020']));
    expect(validation?.securityContext).toMatchObject({
      capabilities: { drop: ['ALL'] },
      readOnlyRootFilesystem: true,
      runAsGroup: 1337,
      runAsUser: 1337,
      runAsNonRoot: true,
    });
    expect(JSON.parse(out.metadata?.annotations?.['sidecar.istio.io/status'] ?? '{}')).toMatchObject({ initContainers: ['istio-validation'] });
  });

  it('writes the rules’ settings as the annotations istio-cni reads (those of hello.yaml.cni.injected)', () => {
    const out = renderInjectedPod(hello(), { values: valuesWith({ istio_cni: { enabled: true } }) });
    const a = out.metadata?.annotations ?? {};
    expect(a['sidecar.istio.io/interceptionMode']).toBe('REDIRECT');
    expect(a['traffic.sidecar.istio.io/includeOutboundIPRanges']).toBe('*');
    expect(a['traffic.sidecar.istio.io/includeInboundPorts']).toBe('*');
    expect(a['traffic.sidecar.istio.io/excludeInboundPorts']).toBe('15020');
    // Empty lists are not written (the template's `with`), nor unset outbound port lists.
    expect(a).not.toHaveProperty('traffic.sidecar.istio.io/excludeOutboundIPRanges');
    expect(a).not.toHaveProperty('traffic.sidecar.istio.io/includeOutboundPorts');
    expect(a).not.toHaveProperty('traffic.sidecar.istio.io/excludeOutboundPorts');
  });

  it('takes the pod’s annotations before the values, as for istio-init', () => {
    const values = valuesWith({ istio_cni: { enabled: true }, global: { proxy: { excludeIPRanges: '10.96.0.0/12', excludeOutboundPorts: '5432' } } });
    const out = renderInjectedPod(hello({ 'traffic.sidecar.istio.io/excludeInboundPorts': '9000', 'sidecar.istio.io/interceptionMode': 'TPROXY' }), { values });
    const a = out.metadata?.annotations ?? {};
    expect(a['sidecar.istio.io/interceptionMode']).toBe('TPROXY');
    expect(a['traffic.sidecar.istio.io/excludeOutboundIPRanges']).toBe('10.96.0.0/12');
    expect(a['traffic.sidecar.istio.io/excludeOutboundPorts']).toBe('5432');
    expect(a['traffic.sidecar.istio.io/excludeInboundPorts']).toBe('9000,15020');
  });

  it('leaves istio-init and the annotations alone without CNI', () => {
    const out = renderInjectedPod(hello(), { values: valuesWith({ pilot: { cni: { enabled: false } } }) });
    expect(out.spec?.initContainers?.map((c) => c.name)).toEqual(['fetch-config', 'istio-init']);
    expect(out.metadata?.annotations).not.toHaveProperty('sidecar.istio.io/interceptionMode');
  });

  it('still checks the type of pilot.cni.enabled, naming its path', () => {
    expect(readInjectorValues({ pilot: { cni: { enabled: 'yes' } } }).problems.map((p) => p.message)).toEqual([
      'values.pilot.cni.enabled must be a boolean (true or false), got string "yes"',
    ]);
  });
});
