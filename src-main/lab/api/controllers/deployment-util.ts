// The Deployment controller's arithmetic and bookkeeping, after kubernetes/pkg/controller/deployment/util: surge and unavailability, revisions, annotations, status and conditions.
import { kubeTime, type KubeObject } from '../objects';
import { int, omitZero, rec, replicasOf, specOf, statusOf } from './util';

export const REVISION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';

/** Annotations a Deployment keeps to itself (skipCopyAnnotation). */
const NOT_COPIED = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION,
  REVISION_HISTORY,
  DESIRED_REPLICAS,
  MAX_REPLICAS,
  'deprecated.deployment.rollback.to',
]);

export const isRollingUpdate = (d: KubeObject): boolean => rec(specOf(d).strategy).type !== 'Recreate';

/**
 * intstr.GetScaledValueFromIntOrPercent: an int as is, `N%` of the total rounded up (surge) or
 * down (unavailable), as Kubernetes rounds them.
 */
export function scaledValue(value: unknown, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const m = /^(\d+)%$/.exec(value);
    if (m) {
      const scaled = (Number(m[1]) * total) / 100;
      return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
    }
    if (/^\d+$/.test(value)) return Number(value);
  }
  throw new Error(`invalid value for IntOrString: ${JSON.stringify(value)}`);
}

/** ResolveFenceposts: maxSurge and maxUnavailable (defaults 25% each), never both 0. */
export function fenceposts(d: KubeObject): { surge: number; unavailable: number } {
  const rolling = rec(rec(specOf(d).strategy).rollingUpdate);
  const desired = replicasOf(d);
  const surge = scaledValue(rolling.maxSurge ?? '25%', desired, true);
  let unavailable = scaledValue(rolling.maxUnavailable ?? '25%', desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export const maxSurge = (d: KubeObject): number => (isRollingUpdate(d) ? fenceposts(d).surge : 0);

export function maxUnavailable(d: KubeObject): number {
  if (!isRollingUpdate(d) || replicasOf(d) === 0) return 0;
  return Math.min(fenceposts(d).unavailable, replicasOf(d));
}

export const revisionOf = (obj: KubeObject): number => Number(obj.metadata.annotations?.[REVISION] ?? 0) || 0;

export const sumReplicas = (sets: KubeObject[]): number => sets.reduce((n, rs) => n + replicasOf(rs), 0);
export const sumStatus = (sets: KubeObject[], field: string): number => sets.reduce((n, rs) => n + int(statusOf(rs)[field]), 0);

/** FilterActiveReplicaSets: those asked for at least one pod. */
export const activeSets = (sets: KubeObject[]): KubeObject[] => sets.filter((rs) => replicasOf(rs) > 0);

/** SetReplicasAnnotations: desired-replicas and max-replicas; true when they changed. */
export function setReplicasAnnotations(rs: KubeObject, desired: number, max: number): boolean {
  const a = (rs.metadata.annotations ??= {});
  if (a[DESIRED_REPLICAS] === String(desired) && a[MAX_REPLICAS] === String(max)) return false;
  a[DESIRED_REPLICAS] = String(desired);
  a[MAX_REPLICAS] = String(max);
  return true;
}

/** SetNewReplicaSetAnnotations: the Deployment's annotations, the new revision, and on creation the replica annotations. */
export function setNewReplicaSetAnnotations(d: KubeObject, rs: KubeObject, revision: number, exists: boolean): boolean {
  const a = (rs.metadata.annotations ??= {});
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (NOT_COPIED.has(k) || a[k] === v) continue;
    a[k] = v;
    changed = true;
  }
  const old = a[REVISION];
  const oldNumber = Number(old ?? 0) || 0;
  if (oldNumber < revision) {
    a[REVISION] = String(revision);
    changed = true;
    // A ReplicaSet brought back by a rollback keeps the revisions it had.
    if (old !== undefined) a[REVISION_HISTORY] = a[REVISION_HISTORY] ? `${a[REVISION_HISTORY]},${old}` : old;
  }
  if (!exists && setReplicasAnnotations(rs, replicasOf(d), replicasOf(d) + maxSurge(d))) changed = true;
  return changed;
}

/** NewRSNewReplicas: how far the new ReplicaSet may grow now. */
export function newReplicaSetReplicas(d: KubeObject, all: KubeObject[], newRS: KubeObject): number {
  if (!isRollingUpdate(d)) return replicasOf(d);
  const current = sumReplicas(all);
  const maxTotal = replicasOf(d) + fenceposts(d).surge;
  if (current >= maxTotal) return replicasOf(newRS);
  return replicasOf(newRS) + Math.min(maxTotal - current, replicasOf(d) - replicasOf(newRS));
}

/** IsSaturated: the new ReplicaSet has all the Deployment's pods, available. */
export function isSaturated(d: KubeObject, rs: KubeObject | undefined): boolean {
  if (!rs) return false;
  const desired = rs.metadata.annotations?.[DESIRED_REPLICAS];
  return replicasOf(rs) === replicasOf(d) && desired === String(replicasOf(d)) && int(statusOf(rs).availableReplicas) === replicasOf(d);
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastUpdateTime: string;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export const conditionsOf = (status: Record<string, unknown>): Condition[] => (Array.isArray(status.conditions) ? (status.conditions as Condition[]) : []);

export const newCondition = (type: string, status: Condition['status'], reason: string, message: string): Condition => {
  const now = kubeTime();
  return { type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message };
};

/** SetDeploymentCondition: unchanged when status and reason are; the transition time kept when only the reason moves. */
export function setCondition(status: Record<string, unknown>, condition: Condition): void {
  const list = conditionsOf(status);
  const current = list.find((c) => c.type === condition.type);
  if (current && current.status === condition.status && current.reason === condition.reason) return;
  const next = { ...condition };
  if (current && current.status === condition.status) next.lastTransitionTime = current.lastTransitionTime;
  status.conditions = [...list.filter((c) => c.type !== condition.type), next];
}

export function removeCondition(status: Record<string, unknown>, type: string): void {
  status.conditions = conditionsOf(status).filter((c) => c.type !== type);
}

/** calculateStatus: the counts over every ReplicaSet, the updated ones from the new, and the Available condition. */
export function calculateStatus(d: KubeObject, all: KubeObject[], newRS: KubeObject | undefined): Record<string, unknown> {
  const previous = statusOf(d);
  const available = sumStatus(all, 'availableReplicas');
  const status: Record<string, unknown> = {
    observedGeneration: d.metadata.generation ?? 1,
    replicas: sumStatus(all, 'replicas'),
    updatedReplicas: newRS ? int(statusOf(newRS).replicas) : 0,
    readyReplicas: sumStatus(all, 'readyReplicas'),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, sumReplicas(all) - available),
    conditions: conditionsOf(previous).map((c) => ({ ...c })),
    ...(typeof previous.collisionCount === 'number' ? { collisionCount: previous.collisionCount } : {}),
  };
  if (available >= replicasOf(d) - maxUnavailable(d)) {
    setCondition(status, newCondition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'));
  } else {
    setCondition(status, newCondition('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.'));
  }
  return status;
}

/** Go's omitempty over DeploymentStatus: zero counters and an empty condition list are not written. */
export const writtenStatus = (status: Record<string, unknown>): Record<string, unknown> => omitZero(status);

/** DeploymentComplete: every replica updated and available, and the latest spec observed. */
export function deploymentComplete(d: KubeObject, status: Record<string, unknown>): boolean {
  const want = replicasOf(d);
  return (
    int(status.updatedReplicas) === want &&
    int(status.replicas) === want &&
    int(status.availableReplicas) === want &&
    int(status.observedGeneration) >= (d.metadata.generation ?? 1)
  );
}

/** DeploymentProgressing: more updated, fewer old, more ready or more available pods than last written. */
export function deploymentProgressing(d: KubeObject, status: Record<string, unknown>): boolean {
  const old = statusOf(d);
  const oldOld = int(old.replicas) - int(old.updatedReplicas);
  const newOld = int(status.replicas) - int(status.updatedReplicas);
  return (
    int(status.updatedReplicas) > int(old.updatedReplicas) ||
    newOld < oldOld ||
    int(status.readyReplicas) > int(old.readyReplicas) ||
    int(status.availableReplicas) > int(old.availableReplicas)
  );
}

/** HasProgressDeadline: progressDeadlineSeconds set (the API server defaults it to 600) and not MaxInt32. */
export function hasProgressDeadline(d: KubeObject): boolean {
  const seconds = specOf(d).progressDeadlineSeconds;
  return seconds === undefined || (typeof seconds === 'number' && seconds !== 2147483647);
}
