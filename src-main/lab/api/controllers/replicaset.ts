// The ReplicaSet controller (kubernetes/pkg/controller/replicaset): keeps spec.replicas active pods from the template, and writes the status.
import { K } from '../kinds';
import { clone, controllerOf, isRecord, kubeTime, ownerRef, type KubeObject } from '../objects';
import type { ObjectStore } from '../store';
import { recordEvent } from './events';
import type { ControllerLog, PodClient } from './types';
import { claim, generatedName, selectorMatches, int, omitZero, podActive, podAvailable, podReady, podReadySince, rec, replicasOf, sameJson, specOf, statusOf, untilAvailable } from './util';

const COMPONENT = 'replicaset-controller';

/** ReplicaSetController's burstReplicas: at most this many creations or deletions per sync. */
const BURST_REPLICAS = 500;

/** Pods the ReplicaSet controls, adopting matching orphans and releasing pods that stopped matching. */
export function claimPods(store: ObjectStore, rs: KubeObject): KubeObject[] {
  return claim(store, K.pods, rs, store.list(K.pods, rs.metadata.namespace));
}

/** controller.GetPodFromTemplate: the template's labels, annotations and spec, generateName `<rs>-`, owned by the ReplicaSet. */
export function podFromTemplate(rs: KubeObject, name: string): KubeObject {
  const template = rec(clone(specOf(rs).template));
  const meta = rec(template.metadata);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      generateName: `${rs.metadata.name}-`,
      namespace: rs.metadata.namespace,
      ...(isRecord(meta.labels) ? { labels: meta.labels as Record<string, string> } : {}),
      ...(isRecord(meta.annotations) ? { annotations: meta.annotations as Record<string, string> } : {}),
      ...(Array.isArray(meta.finalizers) ? { finalizers: meta.finalizers as string[] } : {}),
      ownerReferences: [ownerRef(rs)],
    },
    spec: rec(template.spec),
  };
}

const PHASE_ORDER: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

const restartsOf = (pod: KubeObject): number => {
  const statuses = statusOf(pod).containerStatuses;
  return Array.isArray(statuses) ? Math.max(0, ...statuses.map((s) => int(rec(s).restartCount))) : 0;
};

const created = (pod: KubeObject): number => Date.parse(pod.metadata.creationTimestamp ?? '') || 0;

/** afterOrZero: a zero time sorts first, then the later time. */
const afterOrZero = (a: number, b: number): boolean => (a === 0 || b === 0 ? a === 0 : a > b);

/**
 * getPodsToDelete with ActivePodsWithRanks: the pods the ReplicaSet gives up first. Unscheduled
 * before scheduled, Pending < Unknown < Running, not ready before ready, more pods of the same
 * owner on the node first (the rank), ready for less time first, more restarts first, newer first.
 */
export function podsToDelete(pods: KubeObject[], related: KubeObject[], count: number): KubeObject[] {
  if (count >= pods.length) return pods.slice(0, count);
  const node = (p: KubeObject) => String(specOf(p).nodeName ?? '');
  const rank = (p: KubeObject) => (node(p) ? related.filter((r) => node(r) === node(p)).length : 0);
  const before = (a: KubeObject, b: KubeObject): boolean | undefined => {
    if (node(a) !== node(b) && (!node(a) || !node(b))) return !node(a);
    const pa = PHASE_ORDER[String(statusOf(a).phase)] ?? 0;
    const pb = PHASE_ORDER[String(statusOf(b).phase)] ?? 0;
    if (pa !== pb) return pa < pb;
    if (podReady(a) !== podReady(b)) return !podReady(a);
    if (rank(a) !== rank(b)) return rank(a) > rank(b);
    if (podReady(a) && podReady(b) && podReadySince(a) !== podReadySince(b)) return afterOrZero(podReadySince(a), podReadySince(b));
    if (restartsOf(a) !== restartsOf(b)) return restartsOf(a) > restartsOf(b);
    if (created(a) !== created(b)) return afterOrZero(created(a), created(b));
    return undefined;
  };
  const sorted = [...pods].sort((a, b) => {
    const first = before(a, b);
    return first === undefined ? 0 : first ? -1 : 1;
  });
  return sorted.slice(0, count);
}

/** Why the last sync could not create or delete pods (the ReplicaFailure condition); null: it could. */
export type ManageFailure = { reason: 'FailedCreate' | 'FailedDelete'; message: string } | null;

/**
 * calculateStatus: counts over the active pods the ReplicaSet controls, and ReplicaFailure set by
 * a failed sync, cleared by a successful one (`failure` undefined: conditions left as they are).
 */
export function replicaSetStatus(rs: KubeObject, pods: KubeObject[], failure?: ManageFailure, now = Date.now()): Record<string, unknown> {
  const active = pods.filter(podActive);
  const minReady = int(specOf(rs).minReadySeconds);
  const templateLabels = rec(rec(specOf(rs).template).metadata).labels;
  const wanted = isRecord(templateLabels) ? Object.entries(templateLabels) : [];
  const fullyLabeled = active.filter((p) => wanted.every(([k, v]) => p.metadata.labels?.[k] === v)).length;
  let conditions = Array.isArray(statusOf(rs).conditions) ? (statusOf(rs).conditions as Record<string, unknown>[]) : [];
  const failed = conditions.some((c) => c.type === 'ReplicaFailure');
  if (failure && !failed) conditions = [...conditions, { type: 'ReplicaFailure', status: 'True', lastTransitionTime: kubeTime(), ...failure }];
  else if (failure === null && failed) conditions = conditions.filter((c) => c.type !== 'ReplicaFailure');
  // `replicas` has no omitempty in apps/v1 ReplicaSetStatus; the other counters do.
  return omitZero(
    {
      replicas: active.length,
      fullyLabeledReplicas: fullyLabeled,
      readyReplicas: active.filter(podReady).length,
      availableReplicas: active.filter((p) => podAvailable(p, minReady, now)).length,
      observedGeneration: rs.metadata.generation ?? 1,
      conditions,
    },
    ['replicas'],
  );
}

/** Writes the status when it changed: an unchanged status is no write, so no event, so no loop. */
export function writeReplicaSetStatus(store: ObjectStore, rs: KubeObject, pods: KubeObject[], failure?: ManageFailure): KubeObject {
  const status = replicaSetStatus(rs, pods, failure);
  if (sameJson(status, rs.status)) return rs;
  return store.update(K.replicasets, { ...rs, status });
}

/** Pods of the ReplicaSets that share this one's controller (the rank's "related pods"). */
function relatedPods(store: ObjectStore, rs: KubeObject, own: KubeObject[]): KubeObject[] {
  const owner = controllerOf(rs);
  if (!owner) return own;
  const siblings = new Set(
    store
      .list(K.replicasets, rs.metadata.namespace)
      .filter((other) => controllerOf(other)?.uid === owner.uid)
      .map((other) => other.metadata.uid),
  );
  return store.list(K.pods, rs.metadata.namespace).filter((p) => podActive(p) && siblings.has(controllerOf(p)?.uid));
}

/**
 * syncReplicaSet: one ReplicaSet brought to its replica count, then its status written. Resolves
 * to when to look again: a Ready pod becomes available once minReadySeconds have passed, and no
 * store event says so (the controller's AddAfter).
 */
export async function syncReplicaSet(store: ObjectStore, pods: PodClient, log: ControllerLog, namespace: string, name: string): Promise<number | undefined> {
  const rs = store.get(K.replicasets, namespace, name);
  if (!rs) return undefined; // Gone: the garbage collector takes its pods.
  const active = claimPods(store, rs).filter(podActive);
  const diff = active.length - replicasOf(rs);
  let failure: ManageFailure = null;
  let error: unknown;
  try {
    // A ReplicaSet being deleted (in the foreground) makes no pods; its status still follows.
    if (!rs.metadata.deletionTimestamp) await manageReplicas(store, pods, log, rs, active, diff);
  } catch (err) {
    error = err;
    const message = err instanceof Error ? err.message : String(err);
    failure = { reason: diff < 0 ? 'FailedCreate' : 'FailedDelete', message };
    recordEvent(store, rs, COMPONENT, failure.reason, `Error ${diff < 0 ? 'creating' : 'deleting'}: ${message}`, 'Warning');
  }
  const now = store.get(K.replicasets, namespace, name);
  const owned = now ? store.list(K.pods, namespace).filter((p) => controllerOf(p)?.uid === now.metadata.uid) : [];
  if (now) writeReplicaSetStatus(store, now, owned, failure);
  // The driver tries again later, as the controller requeues a failed sync.
  if (error !== undefined) throw error;
  return now ? untilAvailable(owned.filter(podActive), int(specOf(now).minReadySeconds)) : undefined;
}

/** manageReplicas: pods created from the template up to the count, or the surplus deleted in Kubernetes' order. */
async function manageReplicas(store: ObjectStore, pods: PodClient, log: ControllerLog, rs: KubeObject, active: KubeObject[], diff: number): Promise<void> {
  const { namespace = 'default', name } = rs.metadata;
  if (diff < 0) {
    // The API refuses such a ReplicaSet; one stored some other way must not create pods it will never count.
    const labels = rec(rec(specOf(rs).template).metadata).labels as Record<string, string> | undefined;
    if (!selectorMatches(rs, { apiVersion: 'v1', kind: 'Pod', metadata: { name: '', labels: labels ?? {} } })) {
      throw new Error('`selector` does not match template `labels`: pods from the template would not be counted');
    }
    const taken = new Set(store.list(K.pods, namespace).map((p) => p.metadata.name));
    for (let i = 0; i < Math.min(-diff, BURST_REPLICAS); i++) {
      const podName = generatedName(`${name}-`, (n) => taken.has(n));
      taken.add(podName);
      // Kubernetes stops a burst at the first failure (slowStartBatch); the next sync tries again.
      await pods.create(podFromTemplate(rs, podName));
      recordEvent(store, rs, COMPONENT, 'SuccessfulCreate', `Created pod: ${podName}`);
    }
    log(`replicaset ${namespace}/${name}: created ${Math.min(-diff, BURST_REPLICAS)} pod(s)`);
  } else if (diff > 0) {
    const doomed = podsToDelete(active, relatedPods(store, rs, active), Math.min(diff, BURST_REPLICAS));
    for (const pod of doomed) {
      await pods.delete(namespace, pod.metadata.name);
      recordEvent(store, rs, COMPONENT, 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
    }
    log(`replicaset ${namespace}/${name}: deleted ${doomed.map((p) => p.metadata.name).join(', ')}`);
  }
}
