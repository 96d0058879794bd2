import { describe, expect, it } from 'vitest';
import { proxyConfigFor, sidecarFor } from '../../../src-main/lab/mesh/proxy-config';
import { planLab } from '../../../src-main/lab/plan';
import { parseScenarioText } from '../../../src-main/lab/scenario';
import { parseConfig } from '../../../src-pod/sidecar/config';

const yaml = `
apiVersion: v1
kind: Namespace
metadata: {name: default, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Pod
metadata: {name: client, labels: {app: client}}
spec: {containers: [{name: c, image: sidecar-lab/demo, command: [sleep, infinity]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: sidecar-lab/demo, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{name: http, port: 80, targetPort: http}]}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: api}
spec:
  hosts: [api.example.com]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: NONE
  exportTo: ["."]
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: istio-system}
spec:
  egress: [{hosts: ["./*"]}]
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: client-only}
spec:
  workloadSelector: {labels: {app: client}}
  egress: [{hosts: ["default/*"]}]
  outboundTrafficPolicy: {mode: REGISTRY_ONLY}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  mesh: |
    outboundTrafficPolicy: {mode: REGISTRY_ONLY}
    protocolDetectionTimeout: 100ms
`;

const plan = planLab(parseScenarioText(yaml, 'mesh.yaml'));
const pod = (prefix: string) => plan.pods.find((p) => p.name.startsWith(prefix))!;

describe('proxy configuration from the lab resources', () => {
  it('is accepted by the sidecar for every injected pod', () => {
    for (const p of plan.pods.filter((x) => x.sidecar)) {
      const parsed = parseConfig(JSON.stringify(proxyConfigFor(plan, p, 'v1')));
      expect(parsed.pod.ip).toBe(p.ip);
    }
  });

  it('gives Services with ClusterIPs and every endpoint on its target port', () => {
    const cfg = proxyConfigFor(plan, pod('client'), 'v1');
    const web = cfg.services.find((s) => s.name === 'web')!;
    expect(web.hostname).toBe('web.default.svc.cluster.local');
    expect(web.clusterIP).toMatch(/^10\.96\./);
    expect(web.ports).toEqual([{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }]);
    expect(web.endpoints.map((e) => e.ports)).toEqual([{ '80': 8080 }, { '80': 8080 }]);
    expect(cfg.mesh).toEqual({ outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' }, protocolDetectionTimeout: '100ms' });
  });

  it("lists the pod's own ports as inbound, from the Services that select it", () => {
    expect(proxyConfigFor(plan, pod('web'), 'v1').inboundPorts).toEqual([
      { port: 8080, name: 'http', protocol: 'TCP', service: 'web.default.svc.cluster.local' },
    ]);
    expect(proxyConfigFor(plan, pod('client'), 'v1').inboundPorts).toEqual([]);
  });

  it('keeps the ServiceEntry fields the proxy acts on', () => {
    expect(proxyConfigFor(plan, pod('client'), 'v1').serviceEntries).toEqual([
      { name: 'api', namespace: 'default', hosts: ['api.example.com'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], resolution: 'NONE' },
    ]);
  });

  it('picks the selecting Sidecar, else the root namespace default', () => {
    expect(sidecarFor(pod('client'), plan.sidecars)?.name).toBe('client-only');
    expect(sidecarFor(pod('web'), plan.sidecars)?.name).toBe('default');
    expect(proxyConfigFor(plan, pod('client'), 'v1').sidecar).toMatchObject({ outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } });
  });
});
