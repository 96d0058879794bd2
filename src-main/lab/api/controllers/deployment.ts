// The Deployment controller (kubernetes/pkg/controller/deployment): the new ReplicaSet for the template, rolling or recreating onto it, scaling, and the status `kubectl rollout status` reads.
import { K } from '../kinds';
import { clone, controllerOf, isRecord, ownerRef, type KubeObject } from '../objects';
import type { ObjectStore } from '../store';
import {
  activeSets,
  calculateStatus,
  conditionsOf,
  deploymentComplete,
  deploymentProgressing,
  DESIRED_REPLICAS,
  hasProgressDeadline,
  isRollingUpdate,
  isSaturated,
  MAX_REPLICAS,
  maxSurge,
  maxUnavailable,
  newCondition,
  newReplicaSetReplicas,
  removeCondition,
  REVISION,
  revisionOf,
  setCondition,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
  sumReplicas,
  sumStatus,
  writtenStatus,
} from './deployment-util';
import { recordEvent } from './events';
import type { ControllerLog } from './types';
import { byCreation, claim, computeHash, equalIgnoreHash, int, POD_TEMPLATE_HASH, podActive, rec, replicasOf, sameJson, specOf, statusOf } from './util';

const COMPONENT = 'deployment-controller';

/** One sync's view: the Deployment as last written, and the store to write through. */
interface Sync {
  store: ObjectStore;
  log: ControllerLog;
  d: KubeObject;
  /** Set when the rollout shows no progress: look again then, to notice the progress deadline. */
  requeueAfterMs?: number;
}

function writeDeployment(s: Sync, next: KubeObject): void {
  s.d = s.store.update(K.deployments, next);
}

/** scaleReplicaSet: the new size and the replica annotations; true when the size moved. */
function scaleReplicaSet(s: Sync, rs: KubeObject, size: number): { scaled: boolean; rs: KubeObject } {
  const copy = clone(rs);
  const sizeChanged = replicasOf(rs) !== size;
  const annotationsChanged = setReplicasAnnotations(copy, replicasOf(s.d), replicasOf(s.d) + maxSurge(s.d));
  if (!sizeChanged && !annotationsChanged) return { scaled: false, rs };
  copy.spec = { ...specOf(copy), replicas: size };
  const updated = s.store.update(K.replicasets, copy, { specChanged: sizeChanged });
  if (sizeChanged) {
    const message = `Scaled ${size > replicasOf(rs) ? 'up' : 'down'} replica set ${rs.metadata.name} to ${size} from ${replicasOf(rs)}`;
    recordEvent(s.store, s.d, COMPONENT, 'ScalingReplicaSet', message);
    s.log(`deployment ${s.d.metadata.namespace}/${s.d.metadata.name}: ${message}`);
  }
  return { scaled: sizeChanged, rs: updated };
}

/** FindNewReplicaSet: the oldest ReplicaSet whose template is the Deployment's, ignoring the hash label. */
const findNewReplicaSet = (d: KubeObject, sets: KubeObject[]): KubeObject | undefined =>
  [...sets].sort(byCreation).find((rs) => equalIgnoreHash(specOf(rs).template, specOf(d).template));

/** A ReplicaSet for the Deployment's current template, named `<deployment>-<hash>`, sized by NewRSNewReplicas. */
function createNewReplicaSet(s: Sync, oldSets: KubeObject[], revision: number): { rs: KubeObject; created: boolean } {
  const d = s.d;
  const spec = specOf(d);
  const collisionCount = statusOf(d).collisionCount;
  const hash = computeHash(spec.template, typeof collisionCount === 'number' ? collisionCount : undefined);
  const template = rec(clone(spec.template));
  const meta = rec(template.metadata);
  template.metadata = { ...meta, labels: { ...rec(meta.labels), [POD_TEMPLATE_HASH]: hash } };
  const selector = rec(clone(spec.selector));
  const rs: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${d.metadata.name}-${hash}`,
      namespace: d.metadata.namespace,
      labels: rec(template.metadata).labels as Record<string, string>,
      ownerReferences: [ownerRef(d)],
    },
    spec: {
      replicas: 0,
      ...(spec.minReadySeconds !== undefined ? { minReadySeconds: spec.minReadySeconds } : {}),
      selector: { ...selector, matchLabels: { ...rec(selector.matchLabels), [POD_TEMPLATE_HASH]: hash } },
      template,
    },
  };
  rs.spec = { ...specOf(rs), replicas: newReplicaSetReplicas(d, [...oldSets, rs], rs) };
  setNewReplicaSetAnnotations(d, rs, revision, false);
  const existing = s.store.get(K.replicasets, d.metadata.namespace, rs.metadata.name);
  if (existing) {
    // A hash collision: a ReplicaSet of that name with another template. Kubernetes bumps
    // status.collisionCount so the next sync hashes to another name.
    if (controllerOf(existing)?.uid === d.metadata.uid && equalIgnoreHash(specOf(existing).template, spec.template)) return { rs: existing, created: false };
    writeDeployment(s, { ...s.d, status: { ...statusOf(s.d), collisionCount: int(collisionCount) + 1 } });
    throw new Error(`replica set ${rs.metadata.name} already exists with another template: collision count now ${int(collisionCount) + 1}`);
  }
  const created = s.store.create(K.replicasets, rs);
  if (replicasOf(created) > 0) recordEvent(s.store, d, COMPONENT, 'ScalingReplicaSet', `Scaled up replica set ${created.metadata.name} from 0 to ${replicasOf(created)}`);
  s.log(`deployment ${d.metadata.namespace}/${d.metadata.name}: created replica set ${created.metadata.name} (revision ${revision}) with ${replicasOf(created)} replica(s)`);
  return { rs: created, created: true };
}

/** getAllReplicaSetsAndSyncRevision: the new ReplicaSet (created when asked), the old ones, and the revision on both. */
function newAndOld(s: Sync, sets: KubeObject[], create: boolean): { newRS: KubeObject | undefined; oldSets: KubeObject[] } {
  const found = findNewReplicaSet(s.d, sets);
  const oldSets = sets.filter((rs) => rs !== found);
  const revision = Math.max(0, ...oldSets.map(revisionOf)) + 1;
  let newRS = found;
  let created = false;
  if (found) {
    const copy = clone(found);
    const minReadyChanged = specOf(copy).minReadySeconds !== specOf(s.d).minReadySeconds;
    if (setNewReplicaSetAnnotations(s.d, copy, revision, true) || minReadyChanged) {
      if (specOf(s.d).minReadySeconds === undefined) delete specOf(copy).minReadySeconds;
      else copy.spec = { ...specOf(copy), minReadySeconds: specOf(s.d).minReadySeconds };
      return { newRS: s.store.update(K.replicasets, copy, { specChanged: minReadyChanged }), oldSets };
    }
  } else if (create) {
    ({ rs: newRS, created } = createNewReplicaSet(s, oldSets, revision));
  } else {
    return { newRS: undefined, oldSets };
  }
  // SetDeploymentRevision and the Progressing condition that names the ReplicaSet.
  const next = clone(s.d);
  let changed = false;
  const rsRevision = newRS!.metadata.annotations?.[REVISION] ?? String(revision);
  if (next.metadata.annotations?.[REVISION] !== rsRevision) {
    next.metadata.annotations = { ...next.metadata.annotations, [REVISION]: rsRevision };
    changed = true;
  }
  const status = { ...statusOf(next) };
  const progressing = conditionsOf(status).find((c) => c.type === 'Progressing');
  if (hasProgressDeadline(s.d) && (created || !progressing)) {
    const condition = created
      ? newCondition('Progressing', 'True', 'NewReplicaSetCreated', `Created new replica set "${newRS!.metadata.name}"`)
      : newCondition('Progressing', 'True', 'FoundNewReplicaSet', `Found new replica set "${newRS!.metadata.name}"`);
    setCondition(status, condition);
    next.status = status;
    changed = true;
  }
  if (changed) writeDeployment(s, next);
  return { newRS, oldSets };
}

/** syncDeploymentStatus / syncRolloutStatus: the status from the ReplicaSets, Progressing as the rollout stands. */
function syncStatus(s: Sync, all: KubeObject[], newRS: KubeObject | undefined, rollout: boolean): void {
  const d = s.d;
  const status = calculateStatus(d, all, newRS);
  if (rollout) {
    if (!hasProgressDeadline(d)) removeCondition(status, 'Progressing');
    const current = conditionsOf(statusOf(d)).find((c) => c.type === 'Progressing');
    const complete = status.replicas === status.updatedReplicas && current?.reason === 'NewReplicaSetAvailable';
    if (hasProgressDeadline(d) && !complete) {
      const what = newRS ? `ReplicaSet "${newRS.metadata.name}"` : `Deployment "${d.metadata.name}"`;
      if (deploymentComplete(d, status)) {
        setCondition(status, newCondition('Progressing', 'True', 'NewReplicaSetAvailable', `${what} has successfully progressed.`));
      } else if (deploymentProgressing(d, status)) {
        // Progress moves lastUpdateTime even with the same reason; the transition time stays while True.
        const condition = newCondition('Progressing', 'True', 'ReplicaSetUpdated', `${what} is progressing.`);
        if (current?.status === 'True') condition.lastTransitionTime = current.lastTransitionTime;
        removeCondition(status, 'Progressing');
        setCondition(status, condition);
      } else if (deploymentTimedOut(d, status)) {
        setCondition(status, newCondition('Progressing', 'False', 'ProgressDeadlineExceeded', `${what} has timed out progressing.`));
      }
    }
  }
  const written = writtenStatus(status);
  if (sameJson(written, d.status)) {
    s.requeueAfterMs = stuckFor(d, status);
    return;
  }
  writeDeployment(s, { ...d, status: written });
}

const deadlineMs = (d: KubeObject): number => int(specOf(d).progressDeadlineSeconds, 600) * 1000;
const progressingSince = (status: Record<string, unknown>): number | undefined => {
  const c = conditionsOf(status).find((x) => x.type === 'Progressing');
  return c ? Date.parse(c.lastUpdateTime) : undefined;
};

/** DeploymentTimedOut: no progress recorded for progressDeadlineSeconds. */
function deploymentTimedOut(d: KubeObject, status: Record<string, unknown>): boolean {
  const c = conditionsOf(status).find((x) => x.type === 'Progressing');
  if (!c || c.reason === 'NewReplicaSetAvailable') return false;
  if (c.reason === 'ProgressDeadlineExceeded') return true;
  return Date.parse(c.lastUpdateTime) + deadlineMs(d) < Date.now();
}

/** requeueStuckDeployment: when to look again at a rollout that shows no progress, so the deadline is noticed. */
function stuckFor(d: KubeObject, status: Record<string, unknown>): number | undefined {
  const current = conditionsOf(statusOf(d)).find((c) => c.type === 'Progressing');
  if (!hasProgressDeadline(d) || !current || current.reason === 'ProgressDeadlineExceeded' || deploymentComplete(d, status)) return undefined;
  const after = progressingSince(statusOf(d))! + deadlineMs(d) - Date.now();
  return Math.max(after, 0) + 1000;
}

/** scale: a replica change spread over the ReplicaSets, proportionally while a rollout is under way. */
function scale(s: Sync, newRS: KubeObject | undefined, oldSets: KubeObject[]): void {
  const d = s.d;
  const want = replicasOf(d);
  // FindActiveOrLatest: one active ReplicaSet (or none: the newest) takes the whole count.
  const sortedOld = [...oldSets].sort(byCreation).reverse();
  const active = activeSets([...sortedOld, ...(newRS ? [newRS] : [])]);
  const single = active.length === 1 ? active[0] : active.length === 0 ? (newRS ?? sortedOld[0]) : undefined;
  if (single || (!newRS && oldSets.length === 0)) {
    if (single && replicasOf(single) !== want) scaleReplicaSet(s, single, want);
    return;
  }
  if (isSaturated(d, newRS)) {
    for (const old of activeSets(oldSets)) scaleReplicaSet(s, old, 0);
    return;
  }
  if (!isRollingUpdate(d)) return;
  const allowed = want > 0 ? want + maxSurge(d) : 0;
  const toAdd = allowed - sumReplicas(active);
  const sets = [...active];
  if (toAdd > 0) sets.sort((a, b) => replicasOf(b) - replicasOf(a) || byCreation(b, a)); // ReplicaSetsBySizeNewer
  else if (toAdd < 0) sets.sort((a, b) => replicasOf(b) - replicasOf(a) || byCreation(a, b)); // ReplicaSetsBySizeOlder
  let added = 0;
  const sizes = new Map<KubeObject, number>();
  for (const rs of sets) {
    let proportion = 0;
    if (toAdd !== 0 && replicasOf(rs) !== 0 && toAdd !== added) {
      // getReplicaSetFraction: this set's share of the new size, by its max-replicas annotation.
      const annotated = Number(rs.metadata.annotations?.[MAX_REPLICAS]) || int(statusOf(d).replicas);
      const fraction = want === 0 ? -replicasOf(rs) : Math.round((replicasOf(rs) * (want + maxSurge(d))) / annotated) - replicasOf(rs);
      proportion = toAdd > 0 ? Math.min(fraction, toAdd - added) : Math.max(fraction, toAdd - added);
    }
    sizes.set(rs, replicasOf(rs) + proportion);
    added += proportion;
  }
  sets.forEach((rs, i) => {
    // The leftover goes to the largest set.
    if (i === 0 && toAdd !== 0) sizes.set(rs, Math.max(0, sizes.get(rs)! + toAdd - added));
    scaleReplicaSet(s, rs, sizes.get(rs)!);
  });
}

/** isScalingEvent: an active ReplicaSet was sized for another replica count than the Deployment's. */
function isScalingEvent(d: KubeObject, sets: KubeObject[]): boolean {
  return activeSets(sets).some((rs) => {
    const desired = rs.metadata.annotations?.[DESIRED_REPLICAS];
    return desired !== undefined && desired !== String(replicasOf(d));
  });
}

/** sync: scaling (and paused Deployments): no new ReplicaSet, the status recounted. */
function syncScaling(s: Sync, sets: KubeObject[]): void {
  const { newRS, oldSets } = newAndOld(s, sets, false);
  scale(s, newRS, oldSets);
  const all = reread(s, [...oldSets, ...(newRS ? [newRS] : [])]);
  syncStatus(s, all, newRS && reread(s, [newRS])[0], false);
}

const reread = (s: Sync, sets: KubeObject[]): KubeObject[] =>
  sets.map((rs) => s.store.get(K.replicasets, rs.metadata.namespace, rs.metadata.name)).filter((rs): rs is KubeObject => rs !== undefined);

/** rolloutRolling: the new ReplicaSet up to maxSurge, the old ones down while maxUnavailable allows. */
function rolloutRolling(s: Sync, sets: KubeObject[]): void {
  const { newRS, oldSets } = newAndOld(s, sets, true);
  let all = [...oldSets, newRS!];
  const d = s.d;
  let changed = false;
  // reconcileNewReplicaSet
  if (replicasOf(newRS!) > replicasOf(d)) changed = scaleReplicaSet(s, newRS!, replicasOf(d)).scaled;
  else if (replicasOf(newRS!) < replicasOf(d)) changed = scaleReplicaSet(s, newRS!, newReplicaSetReplicas(d, all, newRS!)).scaled;
  if (!changed) changed = reconcileOldReplicaSets(s, all, activeSets(oldSets), newRS!);
  all = reread(s, all);
  const current = all.find((rs) => rs.metadata.uid === newRS!.metadata.uid);
  if (!changed && deploymentComplete(s.d, s.d.status as Record<string, unknown>)) cleanup(s, all.filter((rs) => rs !== current));
  syncStatus(s, reread(s, all), current, true);
}

/** reconcileOldReplicaSets: unhealthy old pods go first, then old ones while enough stay available. */
function reconcileOldReplicaSets(s: Sync, all: KubeObject[], oldSets: KubeObject[], newRS: KubeObject): boolean {
  const d = s.d;
  if (sumReplicas(oldSets) === 0) return false;
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const newUnavailable = replicasOf(newRS) - int(statusOf(newRS).availableReplicas);
  const maxScaledDown = sumReplicas(all) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return false;
  // cleanupUnhealthyReplicas
  let cleaned = 0;
  const olds = [...oldSets].sort(byCreation);
  for (let i = 0; i < olds.length && cleaned < maxScaledDown; i++) {
    const rs = olds[i];
    const unhealthy = replicasOf(rs) - int(statusOf(rs).availableReplicas);
    if (replicasOf(rs) === 0 || unhealthy <= 0) continue;
    const down = Math.min(maxScaledDown - cleaned, unhealthy);
    olds[i] = scaleReplicaSet(s, rs, replicasOf(rs) - down).rs;
    cleaned += down;
  }
  // scaleDownOldReplicaSetsForRollingUpdate
  const available = sumStatus([...olds, newRS], 'availableReplicas');
  let scaledDown = 0;
  if (available > minAvailable) {
    const total = available - minAvailable;
    for (const rs of olds) {
      if (scaledDown >= total) break;
      if (replicasOf(rs) === 0) continue;
      const down = Math.min(replicasOf(rs), total - scaledDown);
      scaleReplicaSet(s, rs, replicasOf(rs) - down);
      scaledDown += down;
    }
  }
  return cleaned + scaledDown > 0;
}

/** rolloutRecreate: every old pod gone first, then the new ReplicaSet at full size. */
function rolloutRecreate(s: Sync, sets: KubeObject[]): void {
  let { newRS, oldSets } = newAndOld(s, sets, false);
  let scaledDown = false;
  for (const rs of activeSets(oldSets)) scaledDown = scaleReplicaSet(s, rs, 0).scaled || scaledDown;
  const oldPodsRunning = () => {
    if (sumStatus(reread(s, oldSets), 'replicas') > 0) return true;
    const olds = new Set(oldSets.map((rs) => rs.metadata.uid));
    // Terminating pods count: Recreate waits until the old pods are gone, not just asked to go.
    return s.store.list(K.pods, s.d.metadata.namespace).some((p) => olds.has(controllerOf(p)?.uid) && (podActive(p) || !!p.metadata.deletionTimestamp));
  };
  if (!scaledDown && !oldPodsRunning()) {
    if (!newRS) ({ newRS, oldSets } = newAndOld(s, reread(s, sets), true));
    if (replicasOf(newRS!) !== replicasOf(s.d)) scaleReplicaSet(s, newRS!, replicasOf(s.d));
  }
  const all = reread(s, [...oldSets, ...(newRS ? [newRS] : [])]);
  const current = newRS ? reread(s, [newRS])[0] : undefined;
  if (deploymentComplete(s.d, statusOf(s.d))) cleanup(s, all.filter((rs) => rs !== current && rs.metadata.uid !== current?.metadata.uid));
  syncStatus(s, reread(s, all), current, true);
}

/** cleanupDeployment: old ReplicaSets with no pods beyond revisionHistoryLimit (default 10) are deleted, oldest first. */
function cleanup(s: Sync, oldSets: KubeObject[]): void {
  const limit = int(specOf(s.d).revisionHistoryLimit, 10);
  const idle = oldSets.filter((rs) => replicasOf(rs) === 0 && int(statusOf(rs).replicas) === 0).sort(byCreation);
  for (const rs of idle.slice(0, Math.max(0, oldSets.length - limit))) {
    s.store.delete(K.replicasets, rs.metadata.namespace, rs.metadata.name);
    s.log(`deployment ${s.d.metadata.namespace}/${s.d.metadata.name}: deleted old replica set ${rs.metadata.name}`);
  }
}

/** checkPausedConditions: Progressing Unknown while paused, and again once resumed. */
function pausedConditions(s: Sync): void {
  if (!hasProgressDeadline(s.d)) return;
  const paused = specOf(s.d).paused === true;
  const current = conditionsOf(statusOf(s.d)).find((c) => c.type === 'Progressing');
  const status = { ...statusOf(s.d) };
  if (paused && current?.reason !== 'DeploymentPaused') setCondition(status, newCondition('Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused'));
  else if (!paused && current?.reason === 'DeploymentPaused') setCondition(status, newCondition('Progressing', 'Unknown', 'DeploymentResumed', 'Deployment is resumed'));
  else return;
  writeDeployment(s, { ...s.d, status });
}

/** syncDeployment: one Deployment brought to its spec through its ReplicaSets; returns when to look again, if the rollout is stuck. */
export function syncDeployment(store: ObjectStore, log: ControllerLog, namespace: string, name: string): number | undefined {
  const d = store.get(K.deployments, namespace, name);
  if (!d) return undefined; // Gone: the garbage collector takes its ReplicaSets.
  const s: Sync = { store, log, d };
  if (!isRecord(specOf(d).selector)) return undefined; // apps/v1 requires one; nothing to select without it.
  // Being deleted (in the foreground): the status only, as syncStatusOnly; no scaling, no new ReplicaSet.
  if (d.metadata.deletionTimestamp) {
    syncDeploymentStatus(store, log, d);
    return undefined;
  }
  const sets = claim(store, K.replicasets, d, store.list(K.replicasets, namespace));
  pausedConditions(s);
  if (specOf(s.d).paused === true || isScalingEvent(s.d, sets)) syncScaling(s, sets);
  else if (isRollingUpdate(s.d)) rolloutRolling(s, sets);
  else rolloutRecreate(s, sets);
  return s.requeueAfterMs;
}

/**
 * The status alone, from the ReplicaSets the Deployment controls (what syncRolloutStatus writes),
 * with no scaling and no new ReplicaSet: for the lab's status pass over pods that no controller
 * created (seeded from the manifests at `up`).
 */
export function syncDeploymentStatus(store: ObjectStore, log: ControllerLog, d: KubeObject): void {
  const sets = store.list(K.replicasets, d.metadata.namespace).filter((rs) => controllerOf(rs)?.uid === d.metadata.uid);
  const s: Sync = { store, log, d };
  const newRS = findNewReplicaSet(d, sets);
  syncStatus(s, sets, newRS, true);
}
