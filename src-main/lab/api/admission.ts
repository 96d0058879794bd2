// Who is asking, and what a write may do: identities from bearer tokens, and the admission chain writes pass through.
import type { KindDescriptor } from './kinds';
import type { KubeObject } from './objects';

export interface Identity {
  /** `sidecar-lab-admin`, `system:serviceaccount:default:sleep`. */
  user: string;
  groups: string[];
  /** Service-account tokens of the lab's pods may read, not change. */
  readOnly: boolean;
}

export interface AdmissionRequest {
  operation: 'CREATE' | 'UPDATE' | 'DELETE';
  kind: KindDescriptor;
  namespace?: string;
  name: string;
  subresource?: string;
  /** The object as it will be stored (CREATE, UPDATE). */
  object?: KubeObject;
  /** The stored object (UPDATE, DELETE). */
  oldObject?: KubeObject;
  dryRun: boolean;
  user: Identity;
  /** DELETE: the DeleteOptions' `gracePeriodSeconds` (query or body), when the client sent one. */
  gracePeriodSeconds?: number;
}

/**
 * One admission step (a mutating or validating admission plugin, or a webhook such as Istio's
 * injector): returns the object to store, possibly changed, or throws an ApiError.
 */
export type AdmissionPlugin = (request: AdmissionRequest) => KubeObject | undefined | Promise<KubeObject | undefined>;
