// kube-apiserver's NamespaceLifecycle admission and the namespace registry's deletion: a deleted namespace turns Terminating (its `kubernetes` finalizer pending), nothing new is created in it, and the immortal ones are never deleted.
import type { AdmissionPlugin } from './admission';
import { K } from './kinds';
import { isRecord, kubeTime, type KubeObject } from './objects';
import { ApiError, conflict } from './status';
import type { ObjectStore } from './store';

/** kube-apiserver's immortal namespaces (its --immortal-namespaces default, and the one that holds the cluster's public info). */
const IMMORTAL = new Set(['default', 'kube-system', 'kube-public']);

/** The namespace controller's finalizer, in `spec.finalizers`: the namespace goes once its content is gone. */
export const NAMESPACE_FINALIZER = 'kubernetes';

const rec = (v: unknown): Record<string, unknown> => (isRecord(v) ? v : {});

/** The namespace's `spec.finalizers`. */
export function namespaceFinalizers(ns: KubeObject): string[] {
  const f = rec(ns.spec).finalizers;
  return Array.isArray(f) ? f.filter((x): x is string => typeof x === 'string') : [];
}

export const isTerminating = (ns: KubeObject | undefined): boolean => rec(ns?.status).phase === 'Terminating';

/**
 * Admission for every write: DELETE of an immortal namespace is Forbidden; CREATE of a
 * namespaced object in a Terminating namespace is Forbidden with Kubernetes' message and cause.
 * DELETE of a namespace is then taken over as the namespace registry does it: the object stays,
 * marked (deletionTimestamp, phase Terminating), for the namespace controller to empty and remove.
 */
export function namespaceLifecycle(store: ObjectStore): AdmissionPlugin {
  return (req) => {
    if (req.kind === K.namespaces && req.operation === 'DELETE') {
      if (IMMORTAL.has(req.name)) {
        throw new ApiError(403, 'Forbidden', `namespaces "${req.name}" is forbidden: this namespace may not be deleted`, { name: req.name, kind: 'namespaces' });
      }
      const ns = req.oldObject;
      if (!ns || namespaceFinalizers(ns).length === 0) return undefined;
      if (ns.metadata.deletionTimestamp) {
        throw conflict(K.namespaces, req.name, 'The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.');
      }
      if (req.dryRun) return undefined;
      const marked: KubeObject = { ...ns, metadata: { ...ns.metadata, deletionTimestamp: kubeTime() }, status: { ...rec(ns.status), phase: 'Terminating' } };
      return store.update(K.namespaces, marked);
    }
    if (req.operation !== 'CREATE' || !req.kind.namespaced || !req.namespace) return undefined;
    if (!isTerminating(store.get(K.namespaces, undefined, req.namespace))) return undefined;
    const qualified = req.kind.group ? `${req.kind.resource}.${req.kind.group}` : req.kind.resource;
    throw new ApiError(
      403,
      'Forbidden',
      `${qualified} "${req.name}" is forbidden: unable to create new content in namespace ${req.namespace} because it is being terminated`,
      {
        name: req.name,
        ...(req.kind.group ? { group: req.kind.group } : {}),
        kind: req.kind.resource,
        causes: [{ reason: 'NamespaceTerminating', message: `namespace ${req.namespace} is being terminated`, field: 'metadata.namespace' }],
      },
    );
  };
}
