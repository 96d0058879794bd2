// Parsing manifests into the Scenario model: kinds, fields, ignored items, injected pods, merging.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  mergeScenarios,
  parseScenarioFiles,
  parseScenarioText,
  posAt,
  type DeploymentObject,
  type PodObject,
} from '../../../src-main/lab/scenario';

const FIXTURES = join(import.meta.dirname, '../../fixtures/scenarios');
const fixture = (name: string) => join(FIXTURES, name);

describe('the realistic manifest', async () => {
  const file = fixture('realistic.yaml');
  const s = await parseScenarioFiles([file]);

  it('models the namespace, the Deployment and the Service', () => {
    expect(s.name).toBe('realistic');
    expect(s.namespaces.map((n) => [n.name, n.declared])).toEqual([
      ['shop', true],
      ['default', false],
    ]);
    const d = s.workloads[0] as DeploymentObject;
    expect(d.kind).toBe('Deployment');
    expect(d.replicas).toBe(2);
    expect(d.template.spec.containers[0]).toMatchObject({
      name: 'httpbin',
      image: 'docker.io/kennethreitz/httpbin',
      ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
      env: [
        { name: 'POD_IP', fieldPath: 'status.podIP' },
        { name: 'GREETING', value: 'hello from $(POD_IP)' },
      ],
    });
    expect(d.template.spec.runAsUser).toBe(1000);
    expect(d.template.spec.fsGroup).toBe(2000);
    expect(d.injection).toEqual({
      inject: true,
      reason: 'namespace shop has istio-injection=enabled',
    });
    expect(s.services[0]).toMatchObject({
      name: 'httpbin',
      namespace: 'shop',
      type: 'LoadBalancer',
      headless: false,
      selector: { app: 'httpbin' },
      ports: [{ name: 'http', port: 8000, targetPort: 'http', protocol: 'TCP' }],
    });
  });

  it('keeps pod annotations verbatim', () => {
    const d = s.workloads[0] as DeploymentObject;
    expect(d.template.annotations['proxy.istio.io/config']).toBe(
      'holdApplicationUntilProxyStarts: true\nproxyMetadata:\n  ISTIO_META_DNS_CAPTURE: "true"\n',
    );
  });

  it('lists what it cannot honour, in file order, with positions', () => {
    const lines = s.ignored.map((i) => `${i.line}:${i.col} ${i.message}`);
    const D = 'Deployment shop/httpbin';
    expect(lines).toEqual([
      '2:1 ServiceAccount shop/httpbin ignored: the lab has no service accounts or tokens',
      '15:1 Secret shop/httpbin-tls ignored: the lab has no volumes or secrets',
      `51:7 field spec.template.spec.serviceAccountName of ${D} ignored: the lab has no service accounts`,
      `55:7 field spec.template.spec.nodeSelector of ${D} ignored: the lab has one node and does no scheduling`,
      `57:7 field spec.template.spec.volumes of ${D} ignored: the lab has no volumes`,
      `75:11 field spec.template.spec.containers[0].resources of ${D} ignored: the lab sets no resource limits`,
      `81:11 field spec.template.spec.containers[0].livenessProbe of ${D} ignored: the lab does not run probes`,
      `85:11 field spec.template.spec.containers[0].readinessProbe of ${D} ignored: the lab does not run probes`,
      `89:11 field spec.template.spec.containers[0].volumeMounts of ${D} ignored: the lab has no volumes`,
      `93:13 field spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation of ${D} ignored: only runAsUser and runAsGroup are honoured`,
      '101:3 field spec.type of Service shop/httpbin ignored: treated as ClusterIP: nothing is published outside the lab',
      '109:1 PodDisruptionBudget shop/httpbin ignored: pods are never evicted in the lab',
      "120:1 DestinationRule shop/httpbin ignored: the lab's control plane reads Sidecar, ServiceEntry and the mesh config only",
      '131:5 ConfigMap shop/httpbin-settings ignored: the lab reads only the mesh config (ConfigMap istio) and the injector values (ConfigMap istio-sidecar-injector) in istio-system',
      '138:5 ServiceMonitor shop/httpbin ignored: the lab does not model custom resources of monitoring.coreos.com',
    ]);
    expect(s.ignored.every((i) => i.file === file)).toBe(true);
    expect(s.ignored[4]).toMatchObject({
      object: D,
      field: 'spec.template.spec.volumes',
      reason: 'the lab has no volumes',
    });
  });

  it('does not list modelled fields', () => {
    const fields = s.ignored.map((i) => i.field ?? '');
    for (const f of [
      'containers',
      'ports',
      'env',
      'image',
      'runAsUser',
      'strategy',
      'imagePullPolicy',
    ]) {
      expect(fields.some((x) => x.endsWith(f))).toBe(false);
    }
  });
});

describe('an already injected pod (kubectl get pod -o yaml)', async () => {
  const s = await parseScenarioFiles([fixture('injected-pod.yaml')]);
  const pod = s.workloads[0] as PodObject;

  it('keeps istio-init and istio-proxy apart from the app containers', () => {
    expect(pod.spec.alreadyInjected).toBe(true);
    expect(pod.spec.containers.map((c) => c.name)).toEqual(['productpage']);
    expect(pod.spec.initContainers).toEqual([]);
    expect(pod.spec.injectedInit?.args?.slice(0, 3)).toEqual(['istio-iptables', '-p', '15001']);
    expect(pod.spec.injectedInit?.args).toContain('5432');
    expect(pod.spec.injectedProxy?.runAsUser).toBe(1337);
    expect(pod.spec.injectedProxy?.ports).toEqual([
      { name: 'http-envoy-prom', containerPort: 15090, protocol: 'TCP' },
    ]);
  });

  it('is not injected again, and keeps its labels and annotations verbatim', () => {
    expect(pod.injection).toEqual({
      inject: false,
      reason: 'already injected: the pod has an istio-proxy container',
    });
    expect(pod.labels['security.istio.io/tlsMode']).toBe('istio');
    expect(pod.annotations['traffic.sidecar.istio.io/excludeOutboundPorts']).toBe('5432');
    expect(pod.annotations['sidecar.istio.io/status']).toMatch(
      /^\{"initContainers":\["istio-init"\]/,
    );
  });

  it('lists only the app fields it cannot honour, once each (server defaults are accepted silently)', () => {
    expect(s.ignored.map((i) => i.field)).toEqual([
      'spec.containers[0].volumeMounts',
      'spec.serviceAccountName',
      'spec.volumes',
    ]);
  });
});

describe('kinds and fields', () => {
  it('expands kind: List and reports positions inside it', () => {
    const text = `apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Service
    metadata:
      name: a
    spec:
      ports: [{port: 80}]
  - apiVersion: v1
    kind: Pod
    metadata:
      name: b
    spec:
      containers: [{name: c, image: i}]
`;
    const s = parseScenarioText(text, 'l.yaml');
    expect(s.services.map((x) => x.name)).toEqual(['a']);
    expect(s.workloads.map((x) => x.name)).toEqual(['b']);
    expect(posAt(s.workloads[0].source, '/metadata/name')).toEqual({
      file: 'l.yaml',
      line: 13,
      col: 13,
    });
  });

  it('Deployment replicas default to 1; targetPort defaults to port; headless services', () => {
    const text = `apiVersion: apps/v1
kind: Deployment
metadata: {name: w}
spec:
  selector: {matchExpressions: [{key: app, operator: In, values: [w]}]}
  template:
    metadata: {labels: {app: w}}
    spec: {containers: [{name: w, image: i}]}
---
apiVersion: v1
kind: Service
metadata: {name: h}
spec:
  clusterIP: None
  selector: {app: w}
  ports: [{port: 80, protocol: UDP, appProtocol: dns}]
`;
    const s = parseScenarioText(text, 'd.yaml');
    expect((s.workloads[0] as DeploymentObject).replicas).toBe(1);
    expect(s.services[0]).toMatchObject({
      headless: true,
      ports: [{ port: 80, targetPort: 80, protocol: 'UDP', appProtocol: 'dns' }],
    });
    expect(s.services[0].clusterIP).toBeUndefined();
  });

  it('reads the mesh config and keeps the rest raw', () => {
    const text = `apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  meshNetworks: 'networks: {}'
  mesh: |
    accessLogFile: /dev/stdout
    outboundTrafficPolicy:
      mode: REGISTRY_ONLY
    defaultConfig:
      holdApplicationUntilProxyStarts: true
      proxyMetadata:
        ISTIO_META_DNS_CAPTURE: "true"
`;
    const s = parseScenarioText(text, 'm.yaml');
    expect(s.mesh.declared).toBe(true);
    expect(s.mesh.outboundTrafficPolicy.mode).toBe('REGISTRY_ONLY');
    expect(s.mesh.defaultConfig.holdApplicationUntilProxyStarts).toBe(true);
    expect(s.mesh.defaultConfig.proxyMetadata).toEqual({ ISTIO_META_DNS_CAPTURE: 'true' });
    expect(s.mesh.raw.accessLogFile).toBe('/dev/stdout');
    expect(s.namespaces.map((n) => n.name)).toEqual(['default', 'istio-system']);
    expect(s.ignored.map((i) => i.message)).toEqual([
      'field data.meshNetworks of ConfigMap istio-system/istio ignored: the lab reads data.mesh only',
    ]);
  });

  it('defaults the mesh config when there is none', () => {
    const s = parseScenarioText('', 'e.yaml');
    expect(s.mesh).toMatchObject({ declared: false, outboundTrafficPolicy: { mode: 'ALLOW_ANY' } });
    expect(s.namespaces).toEqual([
      { name: 'default', labels: {}, annotations: {}, declared: false },
    ]);
  });

  it('keeps Sidecar and ServiceEntry raw, with positions for the control plane', () => {
    const text = `apiVersion: networking.istio.io/v1beta1
kind: Sidecar
metadata: {name: default, namespace: shop}
spec:
  egress:
    - hosts:
        - "./*"
        - "istio-system/*"
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: httpbin-org}
spec:
  hosts: [httpbin.org]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DNS
`;
    const s = parseScenarioText(text, 'i.yaml');
    expect(s.sidecars[0]).toMatchObject({
      kind: 'Sidecar',
      apiVersion: 'networking.istio.io/v1beta1',
      namespace: 'shop',
    });
    expect(s.sidecars[0].spec).toEqual({ egress: [{ hosts: ['./*', 'istio-system/*'] }] });
    expect(posAt(s.sidecars[0].source, '/spec/egress/0/hosts/1')).toEqual({
      file: 'i.yaml',
      line: 8,
      col: 11,
    });
    expect(s.serviceEntries[0].spec.resolution).toBe('DNS');
    expect(s.namespaces.map((n) => n.name)).toEqual(['default', 'shop']);
  });

  it('reads the Lab document', () => {
    const text = `apiVersion: sidecarlab.dev/v1
kind: Lab
metadata: {name: demo}
spec:
  description: "  A demo.  "
  traffic: [{from: sleep, to: httpbin}]
`;
    const s = parseScenarioText(text, 'lab.yaml');
    expect(s.name).toBe('demo');
    expect(s.description).toBe('A demo.');
    expect(s.lab?.spec.traffic).toEqual([{ from: 'sleep', to: 'httpbin' }]);
  });

  it('honours YAML merge keys and anchors, as Kubernetes does', () => {
    const text = `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: &l {app: web}
spec:
  containers:
    - &c
      name: a
      image: i
    - <<: *c
      name: b
`;
    const pod = parseScenarioText(text, 'a.yaml').workloads[0] as PodObject;
    expect(pod.spec.containers.map((c) => [c.name, c.image])).toEqual([
      ['a', 'i'],
      ['b', 'i'],
    ]);
  });

  it('skips empty documents', () => {
    const s = parseScenarioText('---\n# nothing\n---\n', 'e.yaml');
    expect(s.workloads).toEqual([]);
  });
});

describe('merging', () => {
  const pod = `apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec: {containers: [{name: c, image: i}]}\n`;
  const ns = `apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}}\n`;

  it('decides injection with namespaces from every file', () => {
    const a = parseScenarioText(pod, 'a.yaml');
    expect(a.workloads[0].injection.inject).toBe(false);
    const merged = mergeScenarios([a, parseScenarioText(ns, 'b.yaml')]);
    expect(merged.files).toEqual(['a.yaml', 'b.yaml']);
    expect(merged.workloads[0].injection.inject).toBe(true);
    expect(merged.namespaces.map((n) => [n.name, n.declared])).toEqual([
      ['shop', true],
      ['default', false],
    ]);
  });

  it('reports duplicates across files', () => {
    expect(() =>
      mergeScenarios([parseScenarioText(pod, 'a.yaml'), parseScenarioText(pod, 'b.yaml')]),
    ).toThrow('b.yaml:3:18: duplicate Pod shop/p (first defined at a.yaml:3:18)');
  });
});
