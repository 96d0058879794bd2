// Pods created through the API get native sidecars as istiod decides them: the Lab's ENABLE_NATIVE_SIDECARS and the node's kubelet version, then the pod's annotation.
import { describe, expect, it } from 'vitest';
import { K } from '../../../src-main/lab/api/kinds';
import type { KubeObject } from '../../../src-main/lab/api/objects';
import { podAdmission } from '../../../src-main/lab/api/pod-admission';
import { seedStore } from '../../../src-main/lab/api/seed';
import { ObjectStore } from '../../../src-main/lab/api/store';
import { parseScenarioText } from '../../../src-main/lab/scenario';
import { prepareScenario } from '../../../src-main/lab/session/prepare';

const scenario = (labSpec: string): string => `apiVersion: sidecarlab.dev/v1
kind: Lab
metadata: {name: native}
spec:
${labSpec}---
apiVersion: v1
kind: Namespace
metadata: {name: default, labels: {istio-injection: enabled}}
`;

function seeded(labSpec: string): ObjectStore {
  const prepared = prepareScenario(parseScenarioText(scenario(labSpec), 'native.yaml'), 'native.yaml');
  const store = new ObjectStore();
  seedStore(store, { prepared, documents: prepared.documents, caCert: 'CA PEM', kubernetesVersion: prepared.plan.kubernetesVersion, now: new Date('2026-12-07T10:00:00Z') });
  return store;
}

async function create(store: ObjectStore, annotations: Record<string, string> = {}): Promise<string[]> {
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', annotations },
    spec: { initContainers: [{ name: 'setup', image: 'demo' }], containers: [{ name: 'web', image: 'demo' }] },
  };
  const user = { user: 'admin', groups: [], readOnly: false };
  const out = (await podAdmission(store)({ operation: 'CREATE', kind: K.pods, namespace: 'default', name: 'web', object: pod, dryRun: false, user }))!;
  const spec = out.spec as { initContainers: { name: string }[]; containers: { name: string }[] };
  return [spec.initContainers.map((c) => c.name).join(' '), spec.containers.map((c) => c.name).join(' ')];
}

const NATIVE = ['istio-init istio-proxy setup', 'web'];
const CLASSIC = ['setup istio-init', 'web istio-proxy'];

describe('native sidecars at Pod CREATE', () => {
  it('the node reports the Lab document\'s release', () => {
    const node = seeded('  kubernetesVersion: v1.34.1\n').list(K.nodes)[0];
    expect((node.status as { nodeInfo: { kubeletVersion: string } }).nodeInfo.kubeletVersion).toBe('v1.34.1');
  });

  it('auto (Istio\'s default) on a 1.33 node: native; the annotation opts a pod out', async () => {
    const store = seeded('  kubernetesVersion: v1.33.1\n');
    expect(await create(store)).toEqual(NATIVE);
    expect(await create(store, { 'sidecar.istio.io/nativeSidecar': 'false' })).toEqual(CLASSIC);
  });

  it('auto on the default release (1.32): classic; the annotation opts a pod in', async () => {
    const store = seeded('  description: x\n');
    expect(await create(store)).toEqual(CLASSIC);
    expect(await create(store, { 'sidecar.istio.io/nativeSidecar': 'true' })).toEqual(NATIVE);
  });

  it('true and false decide whatever the node runs', async () => {
    expect(await create(seeded('  kubernetesVersion: v1.30.0\n  istiod: {env: {ENABLE_NATIVE_SIDECARS: "true"}}\n'))).toEqual(NATIVE);
    expect(await create(seeded('  kubernetesVersion: v1.35.0\n  istiod: {env: {ENABLE_NATIVE_SIDECARS: "false"}}\n'))).toEqual(CLASSIC);
  });

  it('follows the Lab object as it is now, as istiod follows its env once restarted', async () => {
    const store = seeded('  kubernetesVersion: v1.33.1\n  istiod: {env: {ENABLE_NATIVE_SIDECARS: "false"}}\n');
    expect(await create(store)).toEqual(CLASSIC);
    const labObj = store.list(K.labs)[0];
    store.update(K.labs, { ...labObj, spec: { ...(labObj.spec as object), istiod: { env: { ENABLE_NATIVE_SIDECARS: 'auto' } } } });
    expect(await create(store)).toEqual(NATIVE);
  });
});
