// The namespace controller (kubernetes/pkg/controller/namespace): a Terminating namespace is emptied (pods gracefully, through the kubelet), then its `kubernetes` finalizer goes and so does the namespace.
import { K, KINDS, type KindDescriptor } from '../kinds';
import { isRecord, type KubeObject } from '../objects';
import { NAMESPACE_FINALIZER, namespaceFinalizers } from '../namespace-lifecycle';
import type { ObjectStore } from '../store';
import type { ControllerLog, PodClient } from './types';

/** Workloads first, so that no controller makes again what goes next; pods then, and the rest. */
function deletionOrder(): KindDescriptor[] {
  const first = [K.deployments, K.replicasets, K.pods];
  return [...first, ...KINDS.filter((k) => k.namespaced && !first.includes(k))];
}

const condition = (type: string, status: 'True' | 'False', reason: string, message: string): Record<string, unknown> => ({
  type,
  status,
  lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  reason,
  ...(message ? { message } : {}),
});

/**
 * deleteAllContent, then finalize: every object in the namespace is deleted (a pod through the
 * pod client, so with its grace period and the kubelet's stop); while pods are still terminating
 * the namespace waits (the driver looks again when a pod goes); once nothing is left the
 * `kubernetes` finalizer is removed, and the namespace with it when no other finalizer remains.
 */
export async function syncNamespace(store: ObjectStore, pods: PodClient, log: ControllerLog, name: string): Promise<void> {
  const ns = store.get(K.namespaces, undefined, name);
  if (!ns?.metadata.deletionTimestamp || !namespaceFinalizers(ns).includes(NAMESPACE_FINALIZER)) return;
  const remaining = new Map<string, number>();
  for (const kind of deletionOrder()) {
    for (const obj of store.list(kind, name)) {
      if (kind === K.pods) {
        if (!obj.metadata.deletionTimestamp) await pods.delete(name, obj.metadata.name);
        if (store.get(K.pods, name, obj.metadata.name)) remaining.set('pods', (remaining.get('pods') ?? 0) + 1);
      } else if (store.get(kind, name, obj.metadata.name)) store.delete(kind, name, obj.metadata.name);
    }
  }
  const current = store.get(K.namespaces, undefined, name);
  if (!current) return;
  if (remaining.size > 0) {
    const left = [...remaining].map(([resource, n]) => `${resource} has ${n} resource instances`).join(', ');
    writeConditions(store, current, `Some resources are remaining: ${left}`);
    return;
  }
  const finalizers = namespaceFinalizers(current).filter((f) => f !== NAMESPACE_FINALIZER);
  if (finalizers.length > 0) {
    store.update(K.namespaces, { ...current, spec: { ...(isRecord(current.spec) ? current.spec : {}), finalizers } });
    return;
  }
  store.delete(K.namespaces, undefined, name);
  log(`namespace controller: namespace ${name} deleted`);
}

/** The conditions the namespace controller keeps on a Terminating namespace, as `kubectl describe namespace` shows them. */
function writeConditions(store: ObjectStore, ns: KubeObject, remaining: string): void {
  const status = isRecord(ns.status) ? ns.status : {};
  const conditions = [
    condition('NamespaceDeletionDiscoveryFailure', 'False', 'ResourcesDiscovered', 'All resources successfully discovered'),
    condition('NamespaceDeletionGroupVersionParsingFailure', 'False', 'ParsedGroupVersions', 'All legacy kube types successfully parsed'),
    condition('NamespaceDeletionContentFailure', 'False', 'ContentDeleted', 'All content successfully deleted, may be waiting on finalization'),
    condition('NamespaceContentRemaining', 'True', 'SomeResourcesRemain', remaining),
    condition('NamespaceFinalizersRemaining', 'False', 'ContentHasNoFinalizers', 'All content-preserving finalizers finished'),
  ];
  const before = Array.isArray(status.conditions) ? status.conditions.filter(isRecord) : [];
  const same = (a: Record<string, unknown>[], b: Record<string, unknown>[]): boolean =>
    JSON.stringify(a.map(({ lastTransitionTime: _t, ...rest }) => rest)) === JSON.stringify(b.map(({ lastTransitionTime: _t, ...rest }) => rest));
  if (same(before, conditions)) return;
  store.update(K.namespaces, { ...ns, status: { ...status, conditions } });
}
