// The PodClient the running lab gives its controllers: pods created and deleted through the API's own path (admission, graceful deletion), as kube-controller-manager does.
import type { Identity } from '../admission';
import { K } from '../kinds';
import { createObject, deleteObject, type ResourceContext } from '../resource-handler';
import type { PodClient } from './types';

/** kube-controller-manager's ReplicaSet controller writes pods under its own service account. */
export const REPLICASET_CONTROLLER: Identity = {
  user: 'system:serviceaccount:kube-system:replicaset-controller',
  groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
  readOnly: false,
};

/**
 * Pods through createObject and deleteObject with the server's admission chain: creation is
 * injected by Istio's webhook as any pod is, deletion is graceful (the admission step that takes
 * a pod's deletion over sets deletionTimestamp; the kubelet removes the object).
 */
export function apiPodClient(ctx: ResourceContext, user: Identity = REPLICASET_CONTROLLER): PodClient {
  return {
    create: (pod) => createObject(ctx, K.pods, pod, user),
    delete: async (namespace, name) => {
      await deleteObject(ctx, K.pods, namespace, name, user);
    },
  };
}
