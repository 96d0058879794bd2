// The garbage collector (kubernetes/pkg/controller/garbagecollector) for the lab's workloads: ReplicaSets and pods whose owners are gone follow them (Background), owners marked `foregroundDeletion` wait for them, owners marked `orphan` let them go.
import { K, kindByApiVersion, type KindDescriptor } from '../kinds';
import { kubeTime, type KubeObject, type OwnerReference } from '../objects';
import type { ObjectStore } from '../store';
import type { ControllerLog, PodClient } from './types';
import { withoutOwner } from './util';

/** Whether the owner a reference names still exists: same name and same uid (a recreated owner is another object). */
function ownerExists(store: ObjectStore, dependent: KubeObject, ref: OwnerReference): boolean {
  const kind = kindByApiVersion(ref.apiVersion, ref.kind);
  // A kind the lab does not serve cannot be looked up; the collector leaves such references alone.
  if (!kind) return true;
  const owner = store.get(kind, kind.namespaced ? dependent.metadata.namespace : undefined, ref.name);
  return owner !== undefined && owner.metadata.uid === ref.uid;
}

/**
 * attemptToDeleteItem over every ReplicaSet and pod: a dependent with no owner left is deleted
 * (pods gracefully, through the pod client), one that keeps some owners loses the dangling
 * references. A ReplicaSet deleted here frees its pods on the next pass, as Background
 * propagation goes one level at a time.
 */
export async function collectGarbage(store: ObjectStore, pods: PodClient, log: ControllerLog): Promise<void> {
  orphanMarked(store, log);
  await deleteForeground(store, pods, log);
  for (const kind of [K.replicasets, K.pods]) {
    for (const obj of store.list(kind)) {
      const refs = obj.metadata.ownerReferences ?? [];
      if (refs.length === 0 || obj.metadata.deletionTimestamp) continue;
      const dangling = refs.filter((ref) => !ownerExists(store, obj, ref));
      if (dangling.length === 0) continue;
      const ns = obj.metadata.namespace ?? 'default';
      if (dangling.length < refs.length) {
        const left = refs.filter((ref) => !dangling.includes(ref));
        store.update(kind, { ...obj, metadata: { ...obj.metadata, ownerReferences: left } });
        continue;
      }
      log(`garbage collector: deleting ${kind.singular} ${ns}/${obj.metadata.name}: its owner ${dangling[0].kind} ${dangling[0].name} is gone`);
      if (kind === K.pods) await pods.delete(ns, obj.metadata.name);
      else if (store.get(kind, ns, obj.metadata.name)) store.delete(kind, ns, obj.metadata.name);
    }
  }
}

/**
 * orphanDependents: the owner's dependents lose their reference to it (a patch each), so they
 * outlive it.
 */
export function orphanDependents(store: ObjectStore, owner: KubeObject): void {
  for (const kind of [K.replicasets, K.pods]) {
    for (const obj of store.list(kind, owner.metadata.namespace)) {
      const refs = obj.metadata.ownerReferences ?? [];
      if (!refs.some((r) => r.uid === owner.metadata.uid)) continue;
      store.update(kind, withoutOwner(obj, owner.metadata.uid));
    }
  }
}

/** The finalizer of an owner deleted with propagationPolicy Foreground: it stays until its blocking dependents are gone. */
export const FOREGROUND_FINALIZER = 'foregroundDeletion';
/** The finalizer of an owner deleted with propagationPolicy Orphan (`--cascade=orphan`): it stays until its dependents are freed. */
export const ORPHAN_FINALIZER = 'orphan';

/** The kinds whose objects own others in the lab (Deployments own ReplicaSets, ReplicaSets own pods). */
const OWNERS: readonly KindDescriptor[] = [K.deployments, K.replicasets];
const DEPENDENTS: readonly KindDescriptor[] = [K.replicasets, K.pods];

/**
 * The registry's part of a Foreground or Orphan deletion (deletionFinalizersForGarbageCollection):
 * the object is not removed but marked, deletionTimestamp and a grace period of 0, with the
 * policy's finalizer (and without the other one) for the collector to finish.
 */
export function markForDeletion(store: ObjectStore, kind: KindDescriptor, obj: KubeObject, policy: 'Foreground' | 'Orphan'): KubeObject {
  const [add, drop] = policy === 'Orphan' ? [ORPHAN_FINALIZER, FOREGROUND_FINALIZER] : [FOREGROUND_FINALIZER, ORPHAN_FINALIZER];
  const before = obj.metadata.finalizers ?? [];
  const finalizers = before.filter((f) => f !== drop);
  if (!finalizers.includes(add)) finalizers.push(add);
  if (obj.metadata.deletionTimestamp && JSON.stringify(finalizers) === JSON.stringify(before)) return obj;
  return store.update(kind, {
    ...obj,
    metadata: { ...obj.metadata, deletionTimestamp: obj.metadata.deletionTimestamp ?? kubeTime(), deletionGracePeriodSeconds: obj.metadata.deletionGracePeriodSeconds ?? 0, finalizers },
  });
}

export const markForeground = (store: ObjectStore, kind: KindDescriptor, obj: KubeObject): KubeObject => markForDeletion(store, kind, obj, 'Foreground');

/**
 * attemptToOrphan for every owner marked `orphan`: its dependents are freed, then the finalizer
 * goes, and with no finalizer left the owner itself (as the registry removes an object whose
 * last finalizer goes while it is being deleted).
 */
function orphanMarked(store: ObjectStore, log: ControllerLog): void {
  for (const kind of OWNERS) {
    for (const owner of store.list(kind)) {
      if (!owner.metadata.deletionTimestamp || !(owner.metadata.finalizers ?? []).includes(ORPHAN_FINALIZER)) continue;
      const ns = owner.metadata.namespace ?? 'default';
      orphanDependents(store, owner);
      const finalizers = (owner.metadata.finalizers ?? []).filter((f) => f !== ORPHAN_FINALIZER);
      if (finalizers.length > 0) {
        store.update(kind, { ...owner, metadata: { ...owner.metadata, finalizers } });
        continue;
      }
      log(`garbage collector: ${kind.singular} ${ns}/${owner.metadata.name} deleted, its dependents orphaned`);
      store.delete(kind, ns, owner.metadata.name);
    }
  }
}

/** Whether the kind can be deleted in the foreground in the lab (an owner of dependents); others are deleted at once. */
export const ownsDependents = (kind: KindDescriptor): boolean => OWNERS.includes(kind);

/**
 * processDeletingDependentsItem for every owner marked for Foreground deletion: its dependents
 * whose reference blocks the owner's deletion are deleted, in the foreground too (a ReplicaSet's
 * pods before it, pods gracefully); once none is left the finalizer goes, and with no finalizer
 * left the owner itself.
 */
async function deleteForeground(store: ObjectStore, pods: PodClient, log: ControllerLog): Promise<void> {
  for (const kind of OWNERS) {
    for (const owner of store.list(kind)) {
      if (!owner.metadata.deletionTimestamp || !(owner.metadata.finalizers ?? []).includes(FOREGROUND_FINALIZER)) continue;
      const ns = owner.metadata.namespace ?? 'default';
      const blocking = DEPENDENTS.flatMap((dk) =>
        store
          .list(dk, ns)
          .filter((d) => (d.metadata.ownerReferences ?? []).some((r) => r.uid === owner.metadata.uid && r.blockOwnerDeletion))
          .map((d) => [dk, d] as const),
      );
      for (const [dk, d] of blocking) {
        if (dk === K.pods) {
          if (!d.metadata.deletionTimestamp) await pods.delete(ns, d.metadata.name);
        } else markForeground(store, dk, d);
      }
      if (blocking.length > 0) continue;
      const finalizers = (owner.metadata.finalizers ?? []).filter((f) => f !== FOREGROUND_FINALIZER);
      if (finalizers.length > 0) {
        store.update(kind, { ...owner, metadata: { ...owner.metadata, finalizers } });
        continue;
      }
      log(`garbage collector: ${kind.singular} ${ns}/${owner.metadata.name} deleted in the foreground: its dependents are gone`);
      store.delete(kind, ns, owner.metadata.name);
    }
  }
}
