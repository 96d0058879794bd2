// Which writes the running lab follows: pods, workloads, Services and Istio's config through its controllers; a pod update only as Kubernetes allows it.
import type { AdmissionPlugin } from './admission';
import { K } from './kinds';
import { isRecord, type KubeObject } from './objects';
import { podUpdateProblems } from './pod-update';
import { invalid } from './status';

const specOf = (obj: KubeObject | undefined): Record<string, unknown> => (obj && isRecord(obj.spec) ? obj.spec : {});

export const labWrites: AdmissionPlugin = (request) => {
  const { kind, operation, object, oldObject, name } = request;
  // The status and ephemeralcontainers subresources change only their own part (checked by their handlers).
  // A new image is taken: the kubelet sees the container's definition change and recreates it.
  if (kind === K.pods && operation === 'UPDATE' && request.subresource !== 'status' && request.subresource !== 'ephemeralcontainers') {
    const problems = podUpdateProblems(specOf(object), specOf(oldObject));
    if (problems.length) throw invalid('Pod', '', name, problems);
  }
  return undefined;
};
