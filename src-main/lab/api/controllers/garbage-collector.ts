// The garbage collector (kubernetes/pkg/controller/garbagecollector) for the lab's workloads: ReplicaSets and pods whose owners are gone follow them, as after a Background deletion.
import { K, kindByApiVersion } from '../kinds';
import type { KubeObject, OwnerReference } from '../objects';
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
 * The orphan finalizer's work (propagationPolicy Orphan, `kubectl delete --cascade=false`): the
 * owner's dependents lose their reference to it, so they outlive it.
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
