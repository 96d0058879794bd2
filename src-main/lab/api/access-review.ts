// SelfSubjectAccessReview (`kubectl auth can-i`, istioctl precheck): the lab's authorization, asked rather than tried.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Identity } from './admission';
import { readObject, sendJson } from './http-util';
import { isRecord } from './objects';
import type { ResourceRequest } from './request-info';
import { invalid, methodNotAllowed, invalidValue, required } from './status';

/** Why a service-account token of a pod is refused a change (the same words as the 403 the write would get). */
export const READ_ONLY_REASON = "the lab's service-account tokens may read, not change";

const READS = new Set(['get', 'list', 'watch']);
/** Subresources that open a stream into the pod: the lab refuses them to read-only tokens whatever the verb. */
const STREAMS = new Set(['exec', 'attach', 'portforward', 'proxy']);

export interface AccessAttributes {
  verb: string;
  /** Set for resourceAttributes; undefined for nonResourceAttributes. */
  subresource?: string;
  resource?: string;
}

/**
 * What the lab's API lets an identity do: the admin (system:masters) anything, as kube-apiserver's
 * privileged-group authorizer allows; a pod's service-account token reads (resources and
 * non-resource paths) but neither writes nor opens exec, attach or port-forward streams.
 */
export function decide(user: Identity, attrs: AccessAttributes): { allowed: boolean; reason?: string } {
  if (!user.readOnly) return { allowed: true };
  const verb = attrs.verb.toLowerCase();
  if (READS.has(verb) && !STREAMS.has(attrs.subresource ?? '')) return { allowed: true };
  return { allowed: false, reason: READ_ONLY_REASON };
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews: the review with its status, 201, nothing stored. */
export async function reviewSelfAccess(info: ResourceRequest, req: IncomingMessage, res: ServerResponse, user: Identity): Promise<void> {
  if (info.verb !== 'create' || info.name) throw methodNotAllowed('selfsubjectaccessreviews are only created');
  const body = await readObject(req);
  const spec = isRecord(body) && isRecord(body.spec) ? body.spec : {};
  const resource = isRecord(spec.resourceAttributes) ? spec.resourceAttributes : undefined;
  const nonResource = isRecord(spec.nonResourceAttributes) ? spec.nonResourceAttributes : undefined;
  // kube-apiserver's ValidateSelfSubjectAccessReviewSpec: exactly one of the two.
  if (!resource === !nonResource) {
    throw invalid('SelfSubjectAccessReview', 'authorization.k8s.io', '', [
      resource
        ? invalidValue('spec.nonResourceAttributes', nonResource, 'cannot be specified in combination with resourceAttributes')
        : required('spec.resourceAttributes', 'exactly one of nonResourceAttributes or resourceAttributes must be specified'),
    ]);
  }
  const attrs: AccessAttributes = resource
    ? { verb: str(resource.verb), resource: str(resource.resource), ...(str(resource.subresource) ? { subresource: str(resource.subresource) } : {}) }
    : { verb: str(nonResource?.verb) };
  const status = decide(user, attrs);
  sendJson(res, 201, {
    kind: 'SelfSubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec,
    status,
  });
}
