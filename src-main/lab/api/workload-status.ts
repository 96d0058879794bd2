// ReplicaSets' and Deployments' status from their pods, as the ReplicaSet and Deployment controllers write it.
import { K } from './kinds';
import { isRecord, kubeTime, type KubeObject } from './objects';
import type { ObjectStore } from './store';

const podReady = (pod: KubeObject): boolean =>
  isRecord(pod.status) &&
  Array.isArray(pod.status.conditions) &&
  pod.status.conditions.some((c) => isRecord(c) && c.type === 'Ready' && c.status === 'True');

const ownedBy = (obj: KubeObject, owner: KubeObject): boolean =>
  (obj.metadata.ownerReferences ?? []).some((r) => r.uid === owner.metadata.uid && r.controller);

function updateStatus(store: ObjectStore, kind: typeof K.deployments | typeof K.replicasets, obj: KubeObject, status: Record<string, unknown>): void {
  if (JSON.stringify(status) === JSON.stringify(obj.status)) return;
  store.update(kind, { ...obj, status });
}

function condition(old: unknown, type: string, status: string, reason: string, message: string, now: string): Record<string, unknown> {
  const before = Array.isArray(old) ? old.find((c) => isRecord(c) && c.type === type) : undefined;
  const same = isRecord(before) && before.status === status && before.reason === reason;
  return { type, status, lastUpdateTime: same ? before.lastUpdateTime : now, lastTransitionTime: same ? before.lastTransitionTime : now, reason, message };
}

/** Recomputes every ReplicaSet's and Deployment's status from the pods in the store. */
export function syncWorkloadStatus(store: ObjectStore): void {
  const pods = store.list(K.pods);
  const now = kubeTime();
  const replicaSets = store.list(K.replicasets);
  for (const rs of replicaSets) {
    const mine = pods.filter((p) => ownedBy(p, rs));
    const ready = mine.filter(podReady).length;
    updateStatus(store, K.replicasets, rs, {
      replicas: mine.length,
      fullyLabeledReplicas: mine.length,
      ...(ready ? { readyReplicas: ready, availableReplicas: ready } : {}),
      observedGeneration: rs.metadata.generation ?? 1,
    });
  }
  for (const dep of store.list(K.deployments)) {
    const sets = store.list(K.replicasets).filter((rs) => ownedBy(rs, dep));
    const mine = pods.filter((p) => sets.some((rs) => ownedBy(p, rs)));
    const ready = mine.filter(podReady).length;
    const spec = isRecord(dep.spec) ? dep.spec : {};
    const wanted = typeof spec.replicas === 'number' ? spec.replicas : 1;
    const old = isRecord(dep.status) ? dep.status.conditions : undefined;
    const newest = sets[sets.length - 1]?.metadata.name ?? dep.metadata.name;
    const available = ready >= wanted;
    updateStatus(store, K.deployments, dep, {
      observedGeneration: dep.metadata.generation ?? 1,
      replicas: mine.length,
      updatedReplicas: mine.length,
      ...(ready ? { readyReplicas: ready, availableReplicas: ready } : {}),
      ...(mine.length - ready > 0 ? { unavailableReplicas: mine.length - ready } : {}),
      conditions: [
        available
          ? condition(old, 'Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', now)
          : condition(old, 'Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.', now),
        condition(old, 'Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${newest}" has successfully progressed.`, now),
      ],
    });
  }
}
