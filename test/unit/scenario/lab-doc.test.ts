// The Lab document's cluster settings (kubernetesVersion, istiod's ENABLE_NATIVE_SIDECARS) and the layout the planner then gives injected pods.
import { describe, expect, it } from 'vitest';
import { planLab } from '../../../src-main/lab/plan';
import { parseScenarioText, ScenarioError } from '../../../src-main/lab/scenario';

const lab = (spec: string): string => `apiVersion: sidecarlab.dev/v1
kind: Lab
metadata: {name: demo}
spec:
${spec}---
apiVersion: v1
kind: Namespace
metadata: {name: default, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: default}
spec:
  initContainers: [{name: setup, image: demo}]
  containers: [{name: web, image: demo}]
---
apiVersion: v1
kind: Pod
metadata: {name: classic, namespace: default, annotations: {sidecar.istio.io/nativeSidecar: "false"}}
spec:
  containers: [{name: web, image: demo}]
`;

function errorOf(text: string): ScenarioError {
  try {
    parseScenarioText(text, 'lab.yaml');
  } catch (err) {
    if (err instanceof ScenarioError) return err;
    throw err;
  }
  throw new Error('expected a ScenarioError');
}

const native = (spec: string): Record<string, boolean> => {
  const plan = planLab(parseScenarioText(lab(spec), 'lab.yaml'));
  return Object.fromEntries(plan.pods.map((p) => [p.name, p.sidecar?.native ?? false]));
};

describe('kind: Lab cluster settings', () => {
  it('reads kubernetesVersion (a v is added) and ENABLE_NATIVE_SIDECARS, quoted or a bare boolean', () => {
    const s = parseScenarioText(lab('  kubernetesVersion: 1.34.2\n  istiod:\n    env:\n      ENABLE_NATIVE_SIDECARS: true\n'), 'lab.yaml');
    expect(s.lab).toMatchObject({ kubernetesVersion: 'v1.34.2', nativeSidecars: 'true' });
  });

  it('without settings: Istio\'s default (auto) on the lab\'s default release, below 1.33: classic', () => {
    const plan = planLab(parseScenarioText(lab('  description: x\n'), 'lab.yaml'));
    expect(plan.kubernetesVersion).toBe('v1.32.5');
    expect(plan.nativeSidecars).toBe(false);
  });

  it('refuses a bad kubernetesVersion at its line, naming the field', () => {
    expect(errorOf(lab('  kubernetesVersion: latest\n')).message).toBe(
      'lab.yaml:5:22: kubernetesVersion must be a Kubernetes release like v1.33.1, got "latest"',
    );
    expect(errorOf(lab('  kubernetesVersion: v1.27.3\n')).detail).toBe(
      'kubernetesVersion must be v1.29.0 or later (sidecar containers are on by default from 1.29), got "v1.27.3"',
    );
  });

  it('refuses an ENABLE_NATIVE_SIDECARS istiod would not know, at its line', () => {
    expect(errorOf(lab('  istiod:\n    env:\n      ENABLE_NATIVE_SIDECARS: "yes"\n')).message).toBe(
      'lab.yaml:7:31: ENABLE_NATIVE_SIDECARS must be "true", "false" or "auto", got "yes" (istiod would warn and treat it as false)',
    );
    expect(errorOf(lab('  istiod:\n    replicas: 2\n')).detail).toBe('unknown field "spec.istiod.replicas" in Lab demo');
  });

  it('lists other istiod env vars as ignored', () => {
    const s = parseScenarioText(lab('  istiod:\n    env:\n      PILOT_TRACE_SAMPLING: "1"\n'), 'lab.yaml');
    expect(s.ignored.map((i) => i.message)).toContain(
      "field spec.istiod.env.PILOT_TRACE_SAMPLING of Lab demo ignored: the lab's istiod reads only ENABLE_NATIVE_SIDECARS",
    );
  });
});

describe('the layout the planner gives injected pods: version × ENABLE_NATIVE_SIDECARS × annotation', () => {
  const cases: [string, string, Record<string, boolean>][] = [
    ['auto on 1.33', '  kubernetesVersion: v1.33.0\n', { web: true, classic: false }],
    ['auto on 1.32', '  kubernetesVersion: v1.32.9\n', { web: false, classic: false }],
    ['true on 1.32', '  kubernetesVersion: v1.32.9\n  istiod: {env: {ENABLE_NATIVE_SIDECARS: "true"}}\n', { web: true, classic: false }],
    ['false on 1.34', '  kubernetesVersion: v1.34.1\n  istiod: {env: {ENABLE_NATIVE_SIDECARS: "false"}}\n', { web: false, classic: false }],
    ['auto spelled out on 1.35', '  kubernetesVersion: v1.35.0\n  istiod: {env: {ENABLE_NATIVE_SIDECARS: auto}}\n', { web: true, classic: false }],
  ];
  for (const [name, spec, want] of cases) it(name, () => expect(native(spec)).toEqual(want));

  it('the built-in scenarios keep the classic layout on any release', async () => {
    const { loadScenario } = await import('../../../src-main/lab/scenario');
    for (const name of ['interception', 'performance']) {
      const scenario = await loadScenario(name);
      expect(scenario.lab?.nativeSidecars, name).toBe('false');
      const upgraded = { ...scenario, lab: { ...scenario.lab!, kubernetesVersion: 'v1.35.0' } };
      expect(planLab(upgraded).pods.filter((p) => p.sidecar?.native).map((p) => p.name), name).toEqual([]);
    }
  });
});
