// Native sidecars as Istio decides them: ENABLE_NATIVE_SIDECARS × the nodes' kubelet versions × the pod's annotation (cases from istio/istio pkg/kube/inject webhook_test.go and inject_test.go).
import { describe, expect, it } from 'vitest';
import {
  detectNativeSidecar,
  kubeletMinor,
  nativeSidecarFor,
  parseNativeSidecarMode,
  renderInjectedPod,
  type KubeContainer,
  type KubePod,
  type NativeSidecarMode,
  type NodeVersion,
} from '../../../src-main/lab/injection';

const nodes = (...versions: string[]): NodeVersion[] =>
  versions.map((v, i) => ({ name: `node-${i + 1}`, kubeletVersion: v }));

describe('detectNativeSidecar (TestDetectNativeSidecar)', () => {
  const cases: [string, NativeSidecarMode, NodeVersion[], boolean][] = [
    ['env disabled should be always disabled', 'false', nodes('1.33.0', '1.32.0'), false],
    ['auto: every kubelet at 1.33 or later enables native sidecars', 'auto', nodes('1.33.0', '1.34.2'), true],
    ['auto: kubelets at 1.28 leave them off', 'auto', nodes('1.28.0', '1.28.0'), false],
    ['auto: one node on an unsupported version disables them', 'auto', nodes('1.33.0', '1.32.0'), false],
    ['auto: no nodes disables them', 'auto', [], false],
    ['auto: a node without a version disables them', 'auto', nodes(''), false],
    ['true enables them whatever the kubelets are', 'true', nodes('1.28.0'), true],
  ];
  for (const [name, mode, list, want] of cases) {
    it(name, () => expect(detectNativeSidecar(mode, list)).toBe(want));
  }

  it("auto looks only at the pod's node when the pod has one the cluster knows", () => {
    const mixed = nodes('1.33.1', '1.32.0');
    expect(detectNativeSidecar('auto', mixed, 'node-1')).toBe(true);
    expect(detectNativeSidecar('auto', mixed, 'node-2')).toBe(false);
    // A node the cluster does not know: every node decides, as before scheduling.
    expect(detectNativeSidecar('auto', mixed, 'gone')).toBe(false);
  });

  it('reads kubelet versions as go-version does: the second segment is the minor', () => {
    expect(kubeletMinor('v1.33.1')).toBe(33);
    expect(kubeletMinor('1.34')).toBe(34);
    expect(kubeletMinor('v1.33.0-gke.1000')).toBe(33);
    expect(kubeletMinor('v2')).toBe(0);
    expect(kubeletMinor('latest')).toBeUndefined();
  });
});

describe('ENABLE_NATIVE_SIDECARS as istiod reads it', () => {
  it('knows true, false and auto; anything else is not a mode (istiod warns and uses false)', () => {
    expect(['true', 'false', 'auto'].map(parseNativeSidecarMode)).toEqual(['true', 'false', 'auto']);
    expect(parseNativeSidecarMode('TRUE')).toBeUndefined();
    expect(parseNativeSidecarMode('1')).toBeUndefined();
  });
});

describe("the template's $nativeSidecar: the annotation over istiod's decision", () => {
  it('native-sidecar-opt-in.yaml and -opt-out.yaml: the annotation decides, with the env var on or off', () => {
    for (const detected of [true, false]) {
      expect(nativeSidecarFor({ 'sidecar.istio.io/nativeSidecar': 'true' }, detected)).toBe(true);
      expect(nativeSidecarFor({ 'sidecar.istio.io/nativeSidecar': 'false' }, detected)).toBe(false);
    }
  });

  it("no annotation, or an empty one, leaves istiod's decision; any value but \"false\" is native", () => {
    expect(nativeSidecarFor({}, true)).toBe(true);
    expect(nativeSidecarFor({}, false)).toBe(false);
    expect(nativeSidecarFor({ 'sidecar.istio.io/nativeSidecar': '' }, false)).toBe(false);
    expect(nativeSidecarFor({ 'sidecar.istio.io/nativeSidecar': 'yes' }, false)).toBe(true);
  });
});

describe('renderInjectedPod with the decision', () => {
  const pod = (annotations: Record<string, string>): KubePod => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'hello', namespace: 'default', annotations },
    spec: {
      initContainers: [{ name: 'other-sidecar', image: 'hello', restartPolicy: 'Always' }],
      containers: [{ name: 'hello', image: 'hello' }],
    },
  });
  const names = (p: KubePod) => [
    (p.spec?.initContainers ?? []).map((c) => c.name).join(' '),
    (p.spec?.containers ?? []).map((c) => c.name).join(' '),
  ];

  it('istiod on: istio-proxy an init container with restartPolicy Always, before the pod\'s own', () => {
    const out = renderInjectedPod(pod({}), { nativeSidecar: true });
    expect(names(out)).toEqual(['istio-init istio-proxy other-sidecar', 'hello']);
    expect(out.spec?.initContainers?.[1].restartPolicy).toBe('Always');
  });

  it('native-sidecar-opt-out.yaml with istiod on: the classic layout, istio-init last (reorderPod)', () => {
    expect(names(renderInjectedPod(pod({ 'sidecar.istio.io/nativeSidecar': 'false' }), { nativeSidecar: true }))).toEqual([
      'other-sidecar istio-init',
      'hello istio-proxy',
    ]);
  });

  it('native-sidecar-opt-in.yaml with istiod off: native', () => {
    expect(names(renderInjectedPod(pod({ 'sidecar.istio.io/nativeSidecar': 'true' }), { nativeSidecar: false }))[0]).toBe(
      'istio-init istio-proxy other-sidecar',
    );
  });

  it('holdApplicationUntilProxyStarts writes no postStart wait on a native sidecar (the template\'s $holdProxy)', () => {
    const hold = { 'proxy.istio.io/config': 'holdApplicationUntilProxyStarts: true' };
    const hooks = (c: KubeContainer | undefined) => Object.keys((c as { lifecycle?: object } | undefined)?.lifecycle ?? {});
    const native = renderInjectedPod(pod(hold), { nativeSidecar: true });
    expect(hooks(native.spec?.initContainers?.[1])).toEqual(['preStop']);
    const classic = renderInjectedPod(pod(hold), { nativeSidecar: false });
    expect(names(classic)[1]).toBe('istio-proxy hello');
    expect(hooks(classic.spec?.containers?.[0])).toEqual(['postStart']);
  });
});
