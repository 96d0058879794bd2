// Effective proxy settings (mesh defaults, pod config, annotations) and container environments.
import { describe, expect, it } from 'vitest';
import { expandVars, planLab } from '../../../src-main/lab/plan';
import { parseScenarioText } from '../../../src-main/lab/scenario';

const MESH = `apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  mesh: |
    defaultConfig:
      holdApplicationUntilProxyStarts: true
      concurrency: 2
      proxyMetadata:
        A: mesh
        B: mesh
---
apiVersion: v1
kind: Namespace
metadata: {name: default, labels: {istio-injection: enabled}}
---
`;

const pod = (annotations: string, extra = '') => `apiVersion: v1
kind: Pod
metadata:
  name: web
  annotations:
${annotations}
spec:
${extra}  containers:
    - name: web
      image: i
`;

describe('sidecar plan', () => {
  it('merges mesh defaultConfig and the pod’s proxy.istio.io/config', () => {
    const text =
      MESH +
      pod(
        '    proxy.istio.io/config: |\n      holdApplicationUntilProxyStarts: false\n      proxyMetadata:\n        B: pod\n        C: pod',
      );
    const sc = planLab(parseScenarioText(text, 's.yaml')).pods[0].sidecar;
    expect(sc).toEqual({
      interceptionMode: 'REDIRECT',
      holdApplicationUntilProxyStarts: false,
      privileged: false,
      native: false,
      proxyMetadata: { A: 'mesh', B: 'pod', C: 'pod' },
      proxyConfig: {
        holdApplicationUntilProxyStarts: false,
        concurrency: 2,
        proxyMetadata: { A: 'mesh', B: 'pod', C: 'pod' },
      },
    });
  });

  it('takes mesh defaults when the pod says nothing', () => {
    const sc = planLab(parseScenarioText(MESH + pod('    x: y'), 's.yaml')).pods[0].sidecar;
    expect(sc?.holdApplicationUntilProxyStarts).toBe(true);
    expect(sc?.proxyMetadata).toEqual({ A: 'mesh', B: 'mesh' });
  });

  it('the interception mode annotation wins over the proxy config', () => {
    const text =
      MESH +
      pod(
        '    sidecar.istio.io/interceptionMode: TPROXY\n    proxy.istio.io/config: "{interceptionMode: NONE}"',
      );
    expect(planLab(parseScenarioText(text, 's.yaml')).pods[0].sidecar?.interceptionMode).toBe(
      'TPROXY',
    );
    const cfg = MESH + pod('    proxy.istio.io/config: "{interceptionMode: NONE}"');
    expect(planLab(parseScenarioText(cfg, 's.yaml')).pods[0].sidecar?.interceptionMode).toBe(
      'NONE',
    );
  });

  it('a pod without a sidecar has no sidecar plan', () => {
    const text = MESH + pod('    sidecar.istio.io/inject: "false"');
    const p = planLab(parseScenarioText(text, 's.yaml')).pods[0];
    expect([p.inject, p.sidecar]).toEqual([false, undefined]);
    expect(p.injectReason).toBe('the pod has annotation sidecar.istio.io/inject: "false"');
  });
});

describe('container environment', () => {
  const text = `apiVersion: v1
kind: Service
metadata: {name: my-db}
spec:
  ports: [{name: sql, port: 5432}]
---
apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  containers:
    - name: web
      image: i
      command: [sh, -c, "echo $(GREETING) $$(HOME) $(UNKNOWN)"]
      env:
        - {name: NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
        - {name: APP, valueFrom: {fieldRef: {fieldPath: "metadata.labels['app']"}}}
        - {name: GREETING, value: "hi $(NAME) at $(MY_DB_SERVICE_HOST)"}
`;

  it('has service links, resolved fieldRefs and expanded $(VAR)s', () => {
    const c = planLab(parseScenarioText(text, 's.yaml')).pods[0].containers[0];
    const env = Object.fromEntries(c.env.map((e) => [e.name, e.value]));
    expect(env).toMatchObject({
      MY_DB_SERVICE_HOST: '10.96.0.100',
      MY_DB_SERVICE_PORT: '5432',
      MY_DB_SERVICE_PORT_SQL: '5432',
      MY_DB_PORT: 'tcp://10.96.0.100:5432',
      MY_DB_PORT_5432_TCP_ADDR: '10.96.0.100',
      KUBERNETES_SERVICE_HOST: '10.96.0.1',
      KUBERNETES_SERVICE_PORT: '443',
      NAME: 'web',
      APP: 'web',
      GREETING: 'hi web at 10.96.0.100',
    });
    expect(c.command).toEqual(['sh', '-c', 'echo hi web at 10.96.0.100 $(HOME) $(UNKNOWN)']);
  });

  it('without enableServiceLinks only the kubernetes service is linked', () => {
    const off = text.replace(
      'spec:\n  containers:',
      'spec:\n  enableServiceLinks: false\n  containers:',
    );
    const env = planLab(parseScenarioText(off, 's.yaml')).pods[0].containers[0].env.map(
      (e) => e.name,
    );
    expect(env.some((n) => n.startsWith('MY_DB'))).toBe(false);
    expect(env).toContain('KUBERNETES_SERVICE_HOST');
  });

  it('expandVars', () => {
    const vars = new Map([['A', 'x']]);
    expect(expandVars('$(A)-$$(A)-$(B)-$', vars)).toBe('x-$(A)-$(B)-$');
  });
});
