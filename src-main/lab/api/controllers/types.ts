// What the workload controllers need from the lab: a way to create and delete pods (the API's admission chain and graceful deletion) and a log.
import type { KubeObject } from '../objects';

/**
 * Pods are written through the API's own path, not the store: creation passes the admission chain
 * (Istio's injection webhook), deletion is graceful (the kubelet stops the containers, then the
 * object goes). The lead wires it; unit tests use one that writes the store.
 */
export interface PodClient {
  /** Creates the pod (name already chosen by the controller); resolves with the stored pod. */
  create(pod: KubeObject): Promise<KubeObject>;
  /** Asks for the pod's deletion; the object may linger with `metadata.deletionTimestamp` set. */
  delete(namespace: string, name: string): Promise<void>;
}

export type ControllerLog = (message: string) => void;

/** A running set of controllers over one store. */
export interface WorkloadControllers {
  stop(): void;
  /** Resolves once every queued reconcile (and retry) has run: for tests and orderly shutdown. */
  settle(): Promise<void>;
}
