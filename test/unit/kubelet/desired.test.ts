// The API's objects read back as the lab they describe: a freshly seeded store plans to the lab `up` started (no engine).
import { beforeAll, describe, expect, it } from 'vitest';
import { K } from '../../../src-main/lab/api/kinds';
import { seedStore } from '../../../src-main/lab/api/seed';
import { ObjectStore } from '../../../src-main/lab/api/store';
import { desiredLab } from '../../../src-main/lab/kubelet/desired';
import { prepareLab, type PreparedLab } from '../../../src-main/lab/session/prepare';

let original: PreparedLab;
let store: ObjectStore;

beforeAll(async () => {
  original = await prepareLab('interception');
  store = new ObjectStore();
  seedStore(store, { prepared: original, documents: original.documents, caCert: 'CA PEM', kubernetesVersion: 'v1.33.1', now: new Date('2026-12-07T10:00:00Z') });
});

const summary = (p: PreparedLab) =>
  p.plan.pods.map((pod) => ({
    pod: `${pod.namespace}/${pod.name}`,
    ip: pod.ip,
    sidecar: Boolean(pod.sidecar),
    // `up` adds istio-init and istio-proxy when it starts a pod; the stored pod has them written in.
    containers: pod.containers.filter((c) => c.role === 'app' || c.role === 'init').map((c) => `${c.role}:${c.name}`),
    init: p.init.get(pod)?.args,
  }));

describe('the lab the stored objects describe', () => {
  it('has the pods, addresses, containers and istio-init arguments `up` started', () => {
    const desired = desiredLab(store, original.plan.lab, original.file);
    const byName = (a: { pod: string }, b: { pod: string }) => a.pod.localeCompare(b.pod);
    expect(summary(desired).sort(byName)).toEqual(summary(original).sort(byName));
  });

  it("gives each pod its API object's uid: the seeded ones keep the uid `up` started them with, a recreated one the store's new uid", () => {
    const desired = desiredLab(store, original.plan.lab, original.file);
    for (const pod of original.plan.pods) {
      expect(store.mustGet(K.pods, pod.namespace, pod.name).metadata.uid).toBe(pod.uid);
      expect(desired.plan.pods.find((p) => p.namespace === pod.namespace && p.name === pod.name)?.uid).toBe(pod.uid);
    }
    const sleep = original.plan.pods.find((p) => p.name.startsWith('sleep'))!;
    const old = store.mustGet(K.pods, sleep.namespace, sleep.name);
    store.delete(K.pods, sleep.namespace, sleep.name);
    const again = store.create(K.pods, { ...old, metadata: { name: old.metadata.name, namespace: old.metadata.namespace, labels: old.metadata.labels } });
    const planned = desiredLab(store, original.plan.lab, original.file).plan.pods.find((p) => p.name === sleep.name)!;
    expect(again.metadata.uid).not.toBe(sleep.uid);
    expect(planned.uid).toBe(again.metadata.uid);
  });

  it('has the Services with the same cluster IPs and endpoints', () => {
    const desired = desiredLab(store, original.plan.lab, original.file);
    const services = (p: PreparedLab) =>
      p.plan.services.map((s) => `${s.namespace}/${s.name} ${s.clusterIP} ${s.ports.flatMap((x) => x.endpoints.map((e) => `${e.ip}:${e.port}`)).join(',')}`).sort();
    expect(services(desired)).toEqual(services(original));
  });

  it('does not inject a running pod again when its namespace gains the injection label', () => {
    const ns = store.mustGet(K.namespaces, undefined, 'external');
    store.update(K.namespaces, { ...ns, metadata: { ...ns.metadata, labels: { ...ns.metadata.labels, 'istio-injection': 'enabled' } } });
    const desired = desiredLab(store, original.plan.lab, original.file);
    const external = desired.plan.pods.find((p) => p.namespace === 'external')!;
    expect(external.sidecar).toBeUndefined();
    expect(external.containers.map((c) => c.name)).toEqual(['httpbin']);
  });

  it('gives a new pod the lowest free address and keeps the others', () => {
    store.create(K.pods, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'extra', namespace: 'external', labels: { app: 'external' } },
      spec: { containers: [{ name: 'main', image: 'sidecar-lab/demo', args: ['httpbin', '--port', '80'], ports: [{ name: 'http', containerPort: 80 }] }] },
    });
    const pods = store.list(K.pods);
    const gone = pods.find((p) => p.metadata.namespace === 'default' && p.metadata.labels?.app === 'httpbin')!;
    store.delete(K.pods, 'default', gone.metadata.name);
    const desired = desiredLab(store, original.plan.lab, original.file);
    const ip = (ns: string, name: string) => desired.plan.pods.find((p) => p.namespace === ns && p.name === name)?.ip;
    expect(ip('external', 'extra')).toBe((gone.status as { podIP: string }).podIP);
    for (const p of pods.filter((x) => x.metadata.name !== gone.metadata.name && x.metadata.name !== 'extra')) {
      expect(ip(p.metadata.namespace!, p.metadata.name)).toBe((p.status as { podIP: string }).podIP);
    }
    const svc = desired.plan.services.find((s) => s.namespace === 'external' && s.name === 'external')!;
    expect(svc.ports[0].endpoints.map((e) => e.pod).sort()).toEqual(['extra', store.list(K.pods, 'external').find((p) => p.metadata.name !== 'extra')!.metadata.name].sort());
  });
});
