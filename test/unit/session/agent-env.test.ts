// The env pilot-agent reads, as the lab's injector writes it for a planned pod, carried in the pushed config.
import { describe, expect, it } from 'vitest';
import { proxyConfigFor } from '../../../src-main/lab/mesh/proxy-config';
import { planLab } from '../../../src-main/lab/plan';
import { parseScenarioText } from '../../../src-main/lab/scenario';
import { agentEnvFor } from '../../../src-main/lab/session/agent-env';
import { parseConfig } from '../../../src-pod/sidecar/config';

const yaml = `
apiVersion: v1
kind: Namespace
metadata: {name: default, labels: {istio-injection: enabled}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      annotations: {prometheus.io/scrape: "true", prometheus.io/port: "9090"}
    spec:
      containers:
        - name: web
          image: sidecar-lab/demo
          ports: [{name: http, containerPort: 8080}]
          readinessProbe: {httpGet: {path: /ready, port: http}, timeoutSeconds: 2}
          livenessProbe: {tcpSocket: {port: 8080}}
---
apiVersion: v1
kind: Pod
metadata: {name: plain, annotations: {sidecar.istio.io/rewriteAppHTTPProbers: "false"}}
spec:
  containers:
    - {name: plain, image: sidecar-lab/demo, readinessProbe: {httpGet: {path: /ready, port: 80}}}
`;

const scenario = parseScenarioText(yaml, 'agent.yaml');
const plan = planLab(scenario);
const pod = (prefix: string) => plan.pods.find((p) => p.name.startsWith(prefix))!;

describe('agentEnvFor', () => {
  it("gives the app's probers (named port resolved) and its scrape target, as istio-proxy's env has them", () => {
    const env = agentEnvFor(scenario.documents, plan, pod('web-'));
    expect(JSON.parse(env.ISTIO_KUBE_APP_PROBERS)).toEqual({
      '/app-health/web/livez': { tcpSocket: { port: 8080 } },
      '/app-health/web/readyz': { httpGet: { path: '/ready', port: 8080 }, timeoutSeconds: 2 },
    });
    expect(env.ISTIO_PROMETHEUS_ANNOTATIONS).toBe('{"scrape":"true","path":"","port":"9090"}');
    // The pushed config carries it, and the sidecar accepts it.
    const config = parseConfig(JSON.stringify(proxyConfigFor(plan, pod('web-'), 'v1', env)));
    expect(config.proxyEnv?.ISTIO_PROMETHEUS_ANNOTATIONS).toBe(env.ISTIO_PROMETHEUS_ANNOTATIONS);
  });

  it('gives nothing when the pod turns the probe rewrite off and has no prometheus annotations', () => {
    expect(agentEnvFor(scenario.documents, plan, pod('plain'))).toEqual({});
    expect(proxyConfigFor(plan, pod('plain'), 'v1', {})).not.toHaveProperty('proxyEnv');
  });
});
