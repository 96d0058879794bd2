// ReplicaSets' and Deployments' status from their pods, computed as the ReplicaSet and Deployment controllers compute it (controllers/), without scaling anything.
import { syncDeploymentStatus } from './controllers/deployment';
import { writeReplicaSetStatus } from './controllers/replicaset';
import { K } from './kinds';
import { controllerOf } from './objects';
import type { ObjectStore } from './store';

/**
 * Recomputes every ReplicaSet's and Deployment's status from the pods in the store. Idempotent
 * beside the running controllers (`startWorkloadControllers`): both write the same status, and
 * an unchanged status is not written.
 */
export function syncWorkloadStatus(store: ObjectStore): void {
  const pods = store.list(K.pods);
  for (const rs of store.list(K.replicasets)) {
    writeReplicaSetStatus(store, rs, pods.filter((p) => controllerOf(p)?.uid === rs.metadata.uid));
  }
  for (const d of store.list(K.deployments)) syncDeploymentStatus(store, () => undefined, d);
}
