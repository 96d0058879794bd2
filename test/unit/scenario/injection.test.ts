// Istio's injection decision: namespace labels, pod labels and annotations, exceptions.
import { describe, expect, it } from 'vitest';
import {
  decideInjection,
  parseScenarioText,
  type NamespaceSpec,
  type PodSpec,
} from '../../../src-main/lab/scenario';

const ns = (labels: Record<string, string>, name = 'shop'): NamespaceSpec => ({
  name,
  labels,
  annotations: {},
  declared: true,
});
const spec = (extra: Partial<PodSpec> = {}): PodSpec => ({
  containers: [{ name: 'c', image: 'i', env: [], ports: [], path: '/spec/containers/0' }],
  initContainers: [],
  alreadyInjected: false,
  hostAliases: [],
  hostNetwork: false,
  enableServiceLinks: true,
  ...extra,
});
const INJECT = 'sidecar.istio.io/inject';

describe('decideInjection', () => {
  const cases: [
    string,
    Record<string, string>,
    Record<string, string>,
    Record<string, string>,
    boolean,
  ][] = [
    ['enabled namespace', { 'istio-injection': 'enabled' }, {}, {}, true],
    [
      'enabled namespace, pod label false',
      { 'istio-injection': 'enabled' },
      { [INJECT]: 'false' },
      {},
      false,
    ],
    [
      'enabled namespace, pod annotation false',
      { 'istio-injection': 'enabled' },
      {},
      { [INJECT]: 'false' },
      false,
    ],
    [
      'label wins over annotation',
      { 'istio-injection': 'enabled' },
      { [INJECT]: 'true' },
      { [INJECT]: 'false' },
      true,
    ],
    [
      'disabled namespace, pod label true',
      { 'istio-injection': 'disabled' },
      { [INJECT]: 'true' },
      {},
      false,
    ],
    ['revision namespace', { 'istio.io/rev': 'canary' }, {}, {}, true],
    [
      'revision namespace, pod label false',
      { 'istio.io/rev': 'canary' },
      { [INJECT]: 'false' },
      {},
      false,
    ],
    ['plain namespace', {}, {}, {}, false],
    ['plain namespace, pod label true', {}, { [INJECT]: 'true' }, {}, true],
    ['plain namespace, pod revision label', {}, { 'istio.io/rev': 'default' }, {}, true],
    ['plain namespace, pod annotation true only', {}, {}, { [INJECT]: 'true' }, false],
  ];
  it.each(cases)('%s', (_name, nsLabels, labels, annotations, expected) => {
    expect(decideInjection(ns(nsLabels), labels, annotations, spec()).inject).toBe(expected);
  });

  it('explains the decision', () => {
    expect(decideInjection(ns({}), {}, { [INJECT]: 'true' }, spec()).reason).toBe(
      'namespace shop is not labelled istio-injection=enabled, and the sidecar.istio.io/inject annotation alone does not select a pod (the label does)',
    );
    expect(decideInjection(ns({ 'istio-injection': 'disabled' }), {}, {}, spec()).reason).toBe(
      'namespace shop has istio-injection=disabled',
    );
  });

  it('never injects hostNetwork pods, kube-system, or an already injected pod', () => {
    const on = { [INJECT]: 'true' };
    expect(decideInjection(ns({}), on, {}, spec({ hostNetwork: true })).reason).toBe(
      'Istio does not inject pods with hostNetwork',
    );
    expect(decideInjection(ns({}, 'kube-system'), on, {}, spec()).reason).toBe(
      'Istio never injects pods in kube-system',
    );
    expect(
      decideInjection(ns({ 'istio-injection': 'enabled' }), {}, {}, spec({ alreadyInjected: true }))
        .inject,
    ).toBe(false);
  });

  it('is applied to Deployment templates with their namespace', () => {
    const text = `apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: a, namespace: shop}
spec:
  selector: {matchLabels: {app: a}}
  template:
    metadata:
      labels: {app: a}
      annotations: {sidecar.istio.io/inject: "false"}
    spec: {containers: [{name: a, image: i}]}
`;
    const s = parseScenarioText(text, 'd.yaml');
    expect(s.workloads[0].injection).toEqual({
      inject: false,
      reason: 'the pod has annotation sidecar.istio.io/inject: "false"',
    });
  });
});
