// Which writes the running lab follows: pods, workloads, Services and Istio's config through its controllers; what it cannot follow yet is refused, naming what works.
import type { AdmissionPlugin } from './admission';
import { K } from './kinds';
import { isRecord, type KubeObject } from './objects';
import { invalid, methodNotAllowed } from './status';

/** Pod fields Kubernetes lets an update change (ValidatePodUpdate); anything else is refused. */
const MUTABLE_POD_FIELDS = ['activeDeadlineSeconds', 'tolerations', 'terminationGracePeriodSeconds'];

const specOf = (obj: KubeObject | undefined): Record<string, unknown> => (obj && isRecord(obj.spec) ? obj.spec : {});

/** The pod spec without what may change, and without images (compared on their own). */
function fixedPodSpec(spec: Record<string, unknown>): string {
  const copy: Record<string, unknown> = { ...spec };
  for (const field of MUTABLE_POD_FIELDS) delete copy[field];
  for (const list of ['containers', 'initContainers']) {
    if (Array.isArray(copy[list])) copy[list] = (copy[list] as unknown[]).map((c) => (isRecord(c) ? { ...c, image: undefined } : c));
  }
  return JSON.stringify(copy);
}

const images = (spec: Record<string, unknown>): string =>
  JSON.stringify(['containers', 'initContainers'].flatMap((l) => (Array.isArray(spec[l]) ? (spec[l] as unknown[]).map((c) => (isRecord(c) ? c.image : undefined)) : [])));

export const labWrites: AdmissionPlugin = (request) => {
  const { kind, operation, object, oldObject, name } = request;
  // The status and ephemeralcontainers subresources change only their own part (checked by their handlers).
  if (kind === K.pods && operation === 'UPDATE' && request.subresource !== 'status' && request.subresource !== 'ephemeralcontainers') {
    const before = specOf(oldObject);
    const after = specOf(object);
    if (fixedPodSpec(before) !== fixedPodSpec(after)) {
      throw invalid('Pod', '', name, [
        {
          field: 'spec',
          reason: 'FieldValueForbidden',
          message:
            'Forbidden: pod updates may not change fields other than `spec.containers[*].image`, `spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing tolerations) or `spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
        },
      ]);
    }
    if (images(before) !== images(after)) {
      throw methodNotAllowed(`the lab does not yet restart a container for a new image: delete pod ${name} (its controller makes a new one), or change the Deployment's template`);
    }
  }
  return undefined;
};
