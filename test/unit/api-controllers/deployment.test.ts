// The Deployment and ReplicaSet controllers over the real (memory) store: creation, scaling, rolling and recreate rollouts, restart, deletion, and the status `kubectl rollout status` reads.
import { afterEach, describe, expect, it } from 'vitest';
import { startWorkloadControllers, type WorkloadControllers } from '../../../src-main/lab/api/controllers';
import { K } from '../../../src-main/lab/api/kinds';
import { controllerOf, type KubeObject } from '../../../src-main/lab/api/objects';
import { ObjectStore } from '../../../src-main/lab/api/store';
import { deployment, finishTerminating, markReady, podsOf, setsOf, storePods } from './helpers';

const running: WorkloadControllers[] = [];
afterEach(() => {
  for (const c of running.splice(0)) c.stop();
});

function lab(opts: { graceful?: boolean } = {}) {
  const store = new ObjectStore();
  store.create(K.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  const pods = storePods(store, opts);
  const logs: string[] = [];
  const controllers = startWorkloadControllers(store, pods, (m) => logs.push(m));
  running.push(controllers);
  return { store, pods, logs, settle: () => controllers.settle() };
}

type Status = Record<string, number | undefined> & { conditions?: { type: string; status: string; reason: string; message: string }[] };
const statusOf = (obj: KubeObject | undefined): Status => (obj?.status ?? {}) as Status;
const spec = (obj: KubeObject): Record<string, unknown> => obj.spec as Record<string, unknown>;
const getDep = (store: ObjectStore, name: string) => store.get(K.deployments, 'default', name)!;

/** A spec change as `kubectl apply`/`patch` makes it through the API: generation moves. */
function editSpec(store: ObjectStore, name: string, change: (spec: Record<string, unknown>) => void): void {
  const d = getDep(store, name);
  const next = structuredClone(d);
  change(next.spec as Record<string, unknown>);
  store.update(K.deployments, next, { specChanged: true });
}

/** rollout_status.go's DeploymentStatusViewer (kubectl 1.20), over the stored Deployment. */
function rolloutStatus(d: KubeObject): string {
  const s = statusOf(d);
  const want = spec(d).replicas as number;
  if ((d.metadata.generation ?? 0) > (s.observedGeneration ?? 0)) return 'Waiting for deployment spec update to be observed...';
  if ((s.updatedReplicas ?? 0) < want) return `Waiting for deployment "${d.metadata.name}" rollout to finish: ${s.updatedReplicas ?? 0} out of ${want} new replicas have been updated...`;
  if ((s.replicas ?? 0) > (s.updatedReplicas ?? 0)) return `Waiting for deployment "${d.metadata.name}" rollout to finish: ${(s.replicas ?? 0) - (s.updatedReplicas ?? 0)} old replicas are pending termination...`;
  if ((s.availableReplicas ?? 0) < (s.updatedReplicas ?? 0)) return `Waiting for deployment "${d.metadata.name}" rollout to finish: ${s.availableReplicas ?? 0} of ${s.updatedReplicas ?? 0} updated replicas are available...`;
  return `deployment "${d.metadata.name}" successfully rolled out`;
}

const eventsOf = (store: ObjectStore, kind: string, name: string): string[] =>
  store
    .list(K.events)
    .filter((e) => (e.involvedObject as { kind: string; name: string }).kind === kind && (e.involvedObject as { name: string }).name === name)
    .sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion))
    .map((e) => `${(e.source as { component: string }).component} ${String(e.reason)} ${String(e.message)}`);
const condition = (d: KubeObject, type: string) => statusOf(d).conditions?.find((c) => c.type === type);
const activePods = (store: ObjectStore) => store.list(K.pods).filter((p) => !p.metadata.deletionTimestamp);

describe('Deployment → ReplicaSet → pods', () => {
  it('creates a ReplicaSet named <deployment>-<hash> and its pods named <rs>-<5 safe chars>, owned in a chain', async () => {
    const { store, settle } = lab();
    const progressing: string[] = [];
    store.subscribe((e) => {
      const reason = e.resource === 'apps/deployments' ? condition(e.object, 'Progressing')?.reason : undefined;
      if (reason && progressing.at(-1) !== reason) progressing.push(reason);
    });
    store.create(K.deployments, deployment('web', 3));
    await settle();
    const [rs] = setsOf(store, 'web');
    expect(setsOf(store, 'web')).toHaveLength(1);
    const hash = rs.metadata.labels!['pod-template-hash'];
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    expect(rs.metadata.name).toBe(`web-${hash}`);
    expect(rs.metadata.annotations).toEqual({
      'deployment.kubernetes.io/revision': '1',
      'deployment.kubernetes.io/desired-replicas': '3',
      'deployment.kubernetes.io/max-replicas': '4',
    });
    expect(spec(rs).selector).toEqual({ matchLabels: { app: 'web', 'pod-template-hash': hash } });
    expect(controllerOf(rs)).toMatchObject({ kind: 'Deployment', name: 'web', uid: getDep(store, 'web').metadata.uid, controller: true, blockOwnerDeletion: true });
    const pods = podsOf(store, rs);
    expect(pods).toHaveLength(3);
    for (const p of pods) {
      expect(p.metadata.name).toMatch(new RegExp(`^web-${hash}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
      expect(p.metadata.generateName).toBe(`web-${hash}-`);
      expect(p.metadata.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
      expect(controllerOf(p)).toMatchObject({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata.name, uid: rs.metadata.uid });
    }
    const d = getDep(store, 'web');
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(statusOf(d)).toMatchObject({ observedGeneration: 1, replicas: 3, updatedReplicas: 3, unavailableReplicas: 3 });
    expect(statusOf(d).readyReplicas).toBeUndefined();
    expect(condition(d, 'Available')).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable' });
    // Created with the ReplicaSet, then progressing as its pods were counted.
    expect(progressing).toEqual(['NewReplicaSetCreated', 'ReplicaSetUpdated']);
    expect(condition(d, 'Progressing')).toMatchObject({ status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${rs.metadata.name}" is progressing.` });
    expect(rolloutStatus(d)).toBe('Waiting for deployment "web" rollout to finish: 0 of 3 updated replicas are available...');
    // What `kubectl describe` lists under Events.
    expect(eventsOf(store, 'Deployment', 'web')).toEqual([`deployment-controller ScalingReplicaSet Scaled up replica set ${rs.metadata.name} from 0 to 3`]);
    expect(eventsOf(store, 'ReplicaSet', rs.metadata.name).sort()).toEqual(pods.map((p) => `replicaset-controller SuccessfulCreate Created pod: ${p.metadata.name}`).sort());
  });

  it('reports readiness as pods turn Ready, up to Available and NewReplicaSetAvailable, in the order Kubernetes leaves the conditions', async () => {
    const { store, settle } = lab();
    store.create(K.deployments, deployment('web', 2));
    await settle();
    markReady(store, (p) => p.metadata.name === store.list(K.pods)[0].metadata.name);
    await settle();
    let d = getDep(store, 'web');
    expect(statusOf(d)).toMatchObject({ replicas: 2, updatedReplicas: 2, readyReplicas: 1, availableReplicas: 1, unavailableReplicas: 1 });
    expect(rolloutStatus(d)).toBe('Waiting for deployment "web" rollout to finish: 1 of 2 updated replicas are available...');
    expect(condition(d, 'Progressing')?.reason).toBe('ReplicaSetUpdated');
    markReady(store);
    await settle();
    d = getDep(store, 'web');
    expect(rolloutStatus(d)).toBe('deployment "web" successfully rolled out');
    expect(statusOf(d).unavailableReplicas).toBeUndefined();
    expect(statusOf(d).conditions!.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Available', 'True', 'MinimumReplicasAvailable'],
      ['Progressing', 'True', 'NewReplicaSetAvailable'],
    ]);
    const [rs] = setsOf(store, 'web');
    expect(statusOf(rs)).toEqual({ replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 2, observedGeneration: 1 });
  });

  it('settles: once reconciled, nothing more is written (status writes do not retrigger themselves)', async () => {
    const { store, settle } = lab();
    store.create(K.deployments, deployment('web', 2));
    await settle();
    markReady(store);
    await settle();
    const rv = store.resourceVersion;
    // A metadata-only touch of the Deployment and a pod requeue everything; nothing changes.
    const d = getDep(store, 'web');
    store.update(K.deployments, { ...d, metadata: { ...d.metadata, labels: { app: 'web', touched: 'yes' } } });
    await settle();
    await new Promise((r) => setTimeout(r, 20));
    await settle();
    expect(store.resourceVersion).toBe(rv + 1);
  });

  it('scales up and down with spec.replicas (kubectl scale), giving up not-ready pods first', async () => {
    const { store, pods, settle } = lab();
    store.create(K.deployments, deployment('web', 2));
    await settle();
    markReady(store);
    await settle();
    const ready = store.list(K.pods).map((p) => p.metadata.name);
    editSpec(store, 'web', (s) => (s.replicas = 4));
    await settle();
    const [rs] = setsOf(store, 'web');
    expect(spec(rs).replicas).toBe(4);
    expect(rs.metadata.annotations?.['deployment.kubernetes.io/desired-replicas']).toBe('4');
    expect(rs.metadata.annotations?.['deployment.kubernetes.io/max-replicas']).toBe('5');
    expect(store.list(K.pods)).toHaveLength(4);
    editSpec(store, 'web', (s) => (s.replicas = 2));
    await settle();
    // The two new, still Pending pods go; the Ready ones stay.
    expect(store.list(K.pods).map((p) => p.metadata.name).sort()).toEqual([...ready].sort());
    expect(pods.deleted).toHaveLength(2);
    expect(eventsOf(store, 'Deployment', 'web').slice(1)).toEqual([
      `deployment-controller ScalingReplicaSet Scaled up replica set ${rs.metadata.name} to 4 from 2`,
      `deployment-controller ScalingReplicaSet Scaled down replica set ${rs.metadata.name} to 2 from 4`,
    ]);
    expect(setsOf(store, 'web')).toHaveLength(1);
    expect(statusOf(getDep(store, 'web'))).toMatchObject({ replicas: 2, updatedReplicas: 2, availableReplicas: 2 });
    editSpec(store, 'web', (s) => (s.replicas = 0));
    await settle();
    expect(store.list(K.pods)).toHaveLength(0);
    expect(rolloutStatus(getDep(store, 'web'))).toBe('deployment "web" successfully rolled out');
  });

  it('replaces a pod that is deleted or terminating, as the ReplicaSet keeps its count of active pods', async () => {
    const { store, settle } = lab({ graceful: true });
    store.create(K.deployments, deployment('web', 2));
    await settle();
    const victim = store.list(K.pods)[0];
    store.update(K.pods, { ...victim, metadata: { ...victim.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } });
    await settle();
    expect(activePods(store)).toHaveLength(2);
    expect(store.list(K.pods)).toHaveLength(3);
    expect(statusOf(setsOf(store, 'web')[0]).replicas).toBe(2);
  });
});

describe('failures', () => {
  it('a pod the API refuses: ReplicaFailure and a Warning event on the ReplicaSet, cleared once a retry succeeds', async () => {
    const store = new ObjectStore();
    store.create(K.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
    const inner = storePods(store);
    let refusals = 1;
    const pods = {
      ...inner,
      create: (pod: KubeObject) => (refusals-- > 0 ? Promise.reject(new Error('admission webhook "sidecar-injector.istio.io" denied the request')) : inner.create(pod)),
    };
    const seen: unknown[] = [];
    store.subscribe((e) => {
      if (e.resource === 'apps/replicasets') seen.push(...((e.object.status as { conditions?: unknown[] } | undefined)?.conditions ?? []));
    });
    const controllers = startWorkloadControllers(store, pods, () => undefined);
    running.push(controllers);
    store.create(K.deployments, deployment('web', 1));
    await controllers.settle();
    const [rs] = setsOf(store, 'web');
    expect(seen[0]).toMatchObject({ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'admission webhook "sidecar-injector.istio.io" denied the request' });
    const warning = store.list(K.events).find((e) => e.reason === 'FailedCreate')!;
    expect([warning.type, warning.message]).toEqual(['Warning', 'Error creating: admission webhook "sidecar-injector.istio.io" denied the request']);
    expect(podsOf(store, rs)).toHaveLength(1);
    expect(statusOf(rs).conditions).toBeUndefined();
  });
});

describe('a ReplicaSet the API would refuse', () => {
  it('with a template its selector does not match, stored behind the API: no pods, FailedCreate, no runaway', async () => {
    const { store, pods, settle } = lab();
    store.create(K.replicasets, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'odd', namespace: 'default' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'odd' } }, template: { metadata: { labels: { app: 'other' } }, spec: { containers: [{ name: 'x', image: 'x' }] } } },
    });
    await settle();
    expect(pods.created).toEqual([]);
    const rs = store.get(K.replicasets, 'default', 'odd')!;
    expect(statusOf(rs).conditions?.[0]).toMatchObject({ type: 'ReplicaFailure', reason: 'FailedCreate' });
  });
});

describe('progress deadline', () => {
  it('pods that never turn Ready: Progressing False ProgressDeadlineExceeded once progressDeadlineSeconds pass', { timeout: 10_000 }, async () => {
    const { store, settle } = lab();
    store.create(K.deployments, deployment('web', 1, { progressDeadlineSeconds: 1 }));
    await settle();
    expect(condition(getDep(store, 'web'), 'Progressing')?.status).toBe('True');
    let timedOut: ReturnType<typeof condition>;
    for (let i = 0; i < 60 && !timedOut; i++) {
      await new Promise((r) => setTimeout(r, 100));
      await settle();
      const c = condition(getDep(store, 'web'), 'Progressing');
      if (c?.status === 'False') timedOut = c;
    }
    const [rs] = setsOf(store, 'web');
    expect(timedOut).toMatchObject({ reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${rs.metadata.name}" has timed out progressing.` });
  });
});

describe('rollouts', () => {
  it('a template change rolls onto a new ReplicaSet within maxSurge and maxUnavailable (25%/25% of 4: 1 and 1), old scaled to 0', async () => {
    const { store, settle } = lab();
    store.create(K.deployments, deployment('web', 4));
    await settle();
    markReady(store);
    await settle();
    const [old] = setsOf(store, 'web');
    editSpec(store, 'web', (s) => ((s.template as { spec: { containers: { image: string }[] } }).spec.containers[0].image = 'y'));
    await settle();
    const seen: string[] = [];
    for (let step = 0; step < 20; step++) {
      const sets = setsOf(store, 'web');
      const total = sets.reduce((n, rs) => n + (spec(rs).replicas as number), 0);
      const active = activePods(store);
      const readyActive = active.filter((p) => (p.status as { conditions?: unknown[] }).conditions?.length).length;
      // Never more than 4 + 1 pods asked for or running, never fewer than 4 - 1 available.
      expect(total).toBeLessThanOrEqual(5);
      expect(active.length).toBeLessThanOrEqual(5);
      expect(readyActive).toBeGreaterThanOrEqual(3);
      seen.push(rolloutStatus(getDep(store, 'web')));
      if (seen.at(-1)!.startsWith('deployment')) break;
      // The kubelet makes one new pod Ready at a time.
      const next = active.find((p) => !(p.status as { conditions?: unknown[] }).conditions?.length);
      if (next) markReady(store, (p) => p.metadata.name === next.metadata.name);
      await settle();
    }
    expect(seen.at(-1)).toBe('deployment "web" successfully rolled out');
    expect(seen[0]).toMatch(/^Waiting for deployment "web" rollout to finish: \d out of 4 new replicas have been updated\.\.\.$/);
    const sets = setsOf(store, 'web');
    expect(sets).toHaveLength(2);
    const fresh = sets.find((rs) => rs.metadata.uid !== old.metadata.uid)!;
    expect(spec(store.get(K.replicasets, 'default', old.metadata.name)!).replicas).toBe(0);
    expect(spec(fresh).replicas).toBe(4);
    expect(fresh.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    expect(getDep(store, 'web').metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    expect(store.list(K.pods).every((p) => controllerOf(p)?.uid === fresh.metadata.uid)).toBe(true);
    expect(condition(getDep(store, 'web'), 'Progressing')).toMatchObject({ reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${fresh.metadata.name}" has successfully progressed.` });
  });

  it('the first step of a rolling update: new ReplicaSet at 1 (surge), then old down to 3 (unavailable)', async () => {
    const { store, settle } = lab();
    store.create(K.deployments, deployment('web', 4));
    await settle();
    markReady(store);
    await settle();
    editSpec(store, 'web', (s) => ((s.template as { metadata: { labels: Record<string, string> } }).metadata.labels.v = '2'));
    await settle();
    const sizes = setsOf(store, 'web').map((rs) => [rs.metadata.annotations?.['deployment.kubernetes.io/revision'], spec(rs).replicas]);
    expect(sizes.sort()).toEqual([
      ['1', 3],
      ['2', 2],
    ]);
  });

  it('maxSurge 0 / maxUnavailable 1: an old pod goes before a new one comes', async () => {
    const { store, settle } = lab();
    store.create(K.deployments, deployment('web', 2, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } } }));
    await settle();
    markReady(store);
    await settle();
    editSpec(store, 'web', (s) => ((s.template as { metadata: { labels: Record<string, string> } }).metadata.labels.v = '2'));
    await settle();
    expect(activePods(store)).toHaveLength(2);
    const sizes = setsOf(store, 'web').map((rs) => spec(rs).replicas);
    expect(sizes.sort()).toEqual([1, 1]);
  });

  it('kubectl rollout restart (a restartedAt annotation on the template) makes a new ReplicaSet and revision', async () => {
    const { store, settle } = lab();
    store.create(K.deployments, deployment('web', 1));
    await settle();
    markReady(store);
    await settle();
    const before = setsOf(store, 'web')[0].metadata.name;
    editSpec(store, 'web', (s) => {
      const t = s.template as { metadata: Record<string, unknown> };
      t.metadata.annotations = { 'kubectl.kubernetes.io/restartedAt': '2026-12-07T12:00:00Z' };
    });
    await settle();
    markReady(store);
    await settle();
    const sets = setsOf(store, 'web');
    expect(sets.map((rs) => rs.metadata.name)).toContain(before);
    const fresh = sets.find((rs) => rs.metadata.name !== before)!;
    expect(fresh.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    expect((spec(fresh).template as { metadata: { annotations: Record<string, string> } }).metadata.annotations['kubectl.kubernetes.io/restartedAt']).toBe('2026-12-07T12:00:00Z');
    const [pod] = store.list(K.pods);
    expect(pod.metadata.annotations).toEqual({ 'kubectl.kubernetes.io/restartedAt': '2026-12-07T12:00:00Z' });
    expect(rolloutStatus(getDep(store, 'web'))).toBe('deployment "web" successfully rolled out');
  });

  it('Recreate: old pods gone (termination finished) before the new ReplicaSet gets any', async () => {
    const { store, settle } = lab({ graceful: true });
    store.create(K.deployments, deployment('web', 2, { strategy: { type: 'Recreate' } }));
    await settle();
    markReady(store);
    await settle();
    editSpec(store, 'web', (s) => ((s.template as { metadata: { labels: Record<string, string> } }).metadata.labels.v = '2'));
    await settle();
    expect(setsOf(store, 'web')).toHaveLength(1);
    expect(activePods(store)).toHaveLength(0);
    expect(store.list(K.pods)).toHaveLength(2);
    finishTerminating(store);
    await settle();
    const sets = setsOf(store, 'web');
    expect(sets).toHaveLength(2);
    expect(activePods(store)).toHaveLength(2);
    expect(store.list(K.pods).every((p) => p.metadata.labels?.v === '2')).toBe(true);
  });

  it('scaling during a rollout spreads the change proportionally over the ReplicaSets', async () => {
    const { store, settle } = lab();
    store.create(K.deployments, deployment('web', 10));
    await settle();
    markReady(store);
    await settle();
    editSpec(store, 'web', (s) => ((s.template as { metadata: { labels: Record<string, string> } }).metadata.labels.v = '2'));
    await settle();
    // 10 replicas, surge 3, unavailable 2: new at 3, old down to 8, then new up to 5 (8 + 5 = 13 = 10 + 3).
    const before = Object.fromEntries(setsOf(store, 'web').map((rs) => [rs.metadata.annotations!['deployment.kubernetes.io/revision'], spec(rs).replicas]));
    expect(before).toEqual({ '1': 8, '2': 5 });
    editSpec(store, 'web', (s) => (s.replicas = 20));
    await settle();
    const after = Object.fromEntries(setsOf(store, 'web').map((rs) => [rs.metadata.annotations!['deployment.kubernetes.io/revision'], spec(rs).replicas]));
    // allowed 20 + 5 = 25: 12 more, by each set's share of max-replicas 13: round(8·25/13) and round(5·25/13).
    expect(after).toEqual({ '1': 15, '2': 10 });
  });
});

describe('deletion', () => {
  it('deleting the Deployment (Background propagation) takes its ReplicaSets, then their pods', async () => {
    const { store, settle, logs } = lab();
    store.create(K.deployments, deployment('web', 2));
    store.create(K.deployments, deployment('other', 1));
    await settle();
    expect(store.list(K.pods)).toHaveLength(3);
    store.delete(K.deployments, 'default', 'web');
    await settle();
    expect(setsOf(store, 'web')).toHaveLength(0);
    expect(store.list(K.replicasets)).toHaveLength(1);
    expect(store.list(K.pods).map((p) => p.metadata.labels?.app)).toEqual(['other']);
    expect(logs.some((l) => l.includes('garbage collector: deleting replicaset default/web-'))).toBe(true);
  });

  it('a ReplicaSet deleted alone: its pods go; the Deployment makes a new one', async () => {
    const { store, settle } = lab();
    store.create(K.deployments, deployment('web', 1));
    await settle();
    const [rs] = setsOf(store, 'web');
    const [pod] = store.list(K.pods);
    store.delete(K.replicasets, 'default', rs.metadata.name);
    await settle();
    expect(store.get(K.pods, 'default', pod.metadata.name)).toBeUndefined();
    expect(setsOf(store, 'web')).toHaveLength(1);
    expect(store.list(K.pods)).toHaveLength(1);
  });
});
