// Pods' status from their containers as the kubelet reports it, the events it emits, and the workloads' status that follows.
import { describe, expect, it } from 'vitest';
import { K } from '../../../src-main/lab/api/kinds';
import { podStatusEvents } from '../../../src-main/lab/api/pod-events';
import { podStatus, type ContainerFacts } from '../../../src-main/lab/api/pod-status';
import { ObjectStore } from '../../../src-main/lab/api/store';
import { syncWorkloadStatus } from '../../../src-main/lab/api/workload-status';
import type { KubeObject } from '../../../src-main/lab/api/objects';

interface Cond { type: string; status: string; reason?: string }
interface CStatus { name: string; ready: boolean; state: Record<string, Record<string, unknown>> }
interface Status { phase: string; podIP: string; conditions: Cond[]; initContainerStatuses: CStatus[]; containerStatuses: CStatus[] }
const statusOf = (p: KubeObject, facts: ContainerFacts[]): Status => podStatus(p, facts) as unknown as Status;

const pod = (): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'sleep-1', namespace: 'default', uid: 'u1' },
  spec: { initContainers: [{ name: 'istio-init', image: 'proxyv2' }], containers: [{ name: 'sleep', image: 'demo' }, { name: 'istio-proxy', image: 'proxyv2' }] },
  status: { phase: 'Pending', podIP: '10.244.0.2' },
});

const fact = (name: string, over: Partial<ContainerFacts> = {}): ContainerFacts => ({
  name,
  role: name,
  image: 'img',
  imageId: 'sha256:1',
  containerId: `docker://${name}`,
  running: true,
  startedAt: '2026-12-07T10:00:01Z',
  restartCount: 0,
  ...over,
});

const initDone = fact('istio-init', { running: false, exitCode: 0, finishedAt: '2026-12-07T10:00:01Z' });

describe('podStatus', () => {
  it('a pod whose containers all run is Running and Ready, its addresses kept', () => {
    const s = statusOf(pod(), [initDone, fact('sleep'), fact('istio-proxy')]);
    expect(s.phase).toBe('Running');
    expect(s.podIP).toBe('10.244.0.2');
    expect(s.conditions.find((c: Cond) => c.type === 'Ready')?.status).toBe('True');
    expect(s.initContainerStatuses[0]).toMatchObject({ name: 'istio-init', ready: true, state: { terminated: { exitCode: 0, reason: 'Completed' } } });
    expect(s.containerStatuses.map((c) => [c.name, c.ready, Object.keys(c.state)[0]])).toEqual([
      ['sleep', true, 'running'],
      ['istio-proxy', true, 'running'],
    ]);
  });

  it('a dead app container makes the pod not Ready, with its exit code', () => {
    const s = statusOf(pod(), [initDone, fact('sleep', { running: false, exitCode: 137 }), fact('istio-proxy')]);
    expect(s.phase).toBe('Running');
    expect(s.conditions.find((c: Cond) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady' });
    expect(s.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 137, reason: 'Error' });
  });

  it('a failed istio-init leaves the pod not Initialized', () => {
    const s = statusOf(pod(), [fact('istio-init', { running: false, exitCode: 1 })]);
    expect(s.phase).toBe('Pending');
    expect(s.conditions.find((c: Cond) => c.type === 'Initialized')).toMatchObject({ status: 'False', reason: 'ContainersNotInitialized' });
    // kubelet's default for a pod with init containers (convertToAPIContainerStatuses).
    expect(s.containerStatuses[0].state).toEqual({ waiting: { reason: 'PodInitializing' } });
  });
});

describe('podStatus of a native sidecar (an init container with restartPolicy Always)', () => {
  const native = (): KubeObject => ({
    ...pod(),
    spec: {
      initContainers: [{ name: 'istio-init', image: 'proxyv2' }, { name: 'istio-proxy', image: 'proxyv2', restartPolicy: 'Always' }],
      containers: [{ name: 'sleep', image: 'demo' }],
    },
  });

  it('lists istio-proxy under initContainerStatuses, running, started and ready; the pod Initialized and Ready', () => {
    const s = statusOf(native(), [initDone, fact('istio-proxy'), fact('sleep')]);
    expect(s.initContainerStatuses[1]).toMatchObject({ name: 'istio-proxy', ready: true, started: true, state: { running: {} } });
    expect(s.containerStatuses.map((c) => c.name)).toEqual(['sleep']);
    expect(s.conditions.find((c: Cond) => c.type === 'Initialized')?.status).toBe('True');
    expect(s.conditions.find((c: Cond) => c.type === 'Ready')?.status).toBe('True');
  });

  it('a native sidecar that died leaves the pod Initialized but not Ready, though the app runs', () => {
    const s = statusOf(native(), [initDone, fact('istio-proxy', { running: false, exitCode: 1 }), fact('sleep')]);
    expect(s.conditions.find((c: Cond) => c.type === 'Initialized')?.status).toBe('True');
    expect(s.conditions.find((c: Cond) => c.type === 'Ready')?.status).toBe('False');
  });
});

describe('podStatusEvents', () => {
  it('Scheduled once, then Pulled, Created and Started for each container that started', () => {
    const p = pod();
    const first = podStatus(p, [initDone, fact('sleep'), fact('istio-proxy')]);
    const events = podStatusEvents(p, p.status as Record<string, unknown>, first, 'node');
    expect(events.map((e) => `${e.reason} ${(e.involvedObject as { fieldPath?: string }).fieldPath ?? ''}`)).toEqual([
      'Scheduled ',
      'Pulled spec.initContainers{istio-init}',
      'Created spec.initContainers{istio-init}',
      'Started spec.initContainers{istio-init}',
      'Pulled spec.containers{sleep}',
      'Created spec.containers{sleep}',
      'Started spec.containers{sleep}',
      'Pulled spec.containers{istio-proxy}',
      'Created spec.containers{istio-proxy}',
      'Started spec.containers{istio-proxy}',
    ]);
    expect(events[0].message).toBe('Successfully assigned default/sleep-1 to node');
    // Nothing changed: nothing to say.
    expect(podStatusEvents({ ...p, status: first }, first, podStatus({ ...p, status: first }, [initDone, fact('sleep'), fact('istio-proxy')]), 'node')).toEqual([]);
  });

  it("a debug container's Pulled is its starter's to say (its image may be stood in for); the lab's tap has it here, and neither is ever ready", () => {
    const p = pod();
    p.spec = { ...(p.spec as object), ephemeralContainers: [{ name: 'tap', image: 'sidecar-lab/tap' }, { name: 'debugger-abcde', image: 'nicolaka/netshoot' }] };
    const before = podStatus(p, [initDone, fact('sleep'), fact('istio-proxy')]);
    const after = podStatus(p, [initDone, fact('sleep'), fact('istio-proxy'), fact('tap'), fact('debugger-abcde')]);
    const events = podStatusEvents(p, before, after, 'node').map((e) => `${e.reason} ${(e.involvedObject as { fieldPath?: string }).fieldPath ?? ''}`);
    expect(events).toEqual([
      'Pulled spec.ephemeralContainers{tap}',
      'Created spec.ephemeralContainers{tap}',
      'Started spec.ephemeralContainers{tap}',
      'Created spec.ephemeralContainers{debugger-abcde}',
      'Started spec.ephemeralContainers{debugger-abcde}',
    ]);
    expect((after.ephemeralContainerStatuses as CStatus[]).map((s) => s.ready)).toEqual([false, false]);
  });
});

describe('syncWorkloadStatus', () => {
  it("counts a Deployment's ready pods through its ReplicaSet", () => {
    const store = new ObjectStore();
    const dep = store.create(K.deployments, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'sleep', namespace: 'default', uid: 'd1' }, spec: { replicas: 1 } });
    const rs = store.create(K.replicasets, { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'sleep-abc', namespace: 'default', uid: 'r1', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'sleep', uid: dep.metadata.uid!, controller: true }] }, spec: { replicas: 1 } });
    const p = pod();
    p.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata.name, uid: rs.metadata.uid!, controller: true }];
    p.status = podStatus(p, [initDone, fact('sleep'), fact('istio-proxy')]);
    store.create(K.pods, p);
    syncWorkloadStatus(store);
    expect(store.get(K.deployments, 'default', 'sleep')!.status).toMatchObject({ replicas: 1, readyReplicas: 1, availableReplicas: 1, updatedReplicas: 1 });
    expect(store.get(K.replicasets, 'default', 'sleep-abc')!.status).toMatchObject({ replicas: 1, readyReplicas: 1 });
  });
});
