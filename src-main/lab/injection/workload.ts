// The pod template of a Kubernetes workload document (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job…).
import { InjectionError } from './annotations';
import type { PodLike } from './injector';

export const WORKLOAD_KINDS = [
  'Pod',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'ReplicationController',
  'Job',
  'CronJob',
];

export interface WorkloadPod {
  kind: string;
  name: string;
  pod: PodLike;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The pod a workload runs: the document itself for a Pod, else its (job) template. */
export function podTemplateOf(doc: unknown): WorkloadPod {
  if (!isObject(doc))
    throw new InjectionError(
      'injection: the document is not a Kubernetes object (a mapping with kind)',
    );
  const kind = typeof doc.kind === 'string' ? doc.kind : '';
  const name =
    isObject(doc.metadata) && typeof doc.metadata.name === 'string' ? doc.metadata.name : '';
  if (!WORKLOAD_KINDS.includes(kind)) {
    throw new InjectionError(
      `injection: kind ${kind || '(none)'} has no pod; expected one of ${WORKLOAD_KINDS.join(', ')}`,
    );
  }
  if (kind === 'Pod') return { kind, name, pod: doc as PodLike };
  let spec = doc.spec;
  if (kind === 'CronJob')
    spec = isObject(spec) && isObject(spec.jobTemplate) ? spec.jobTemplate.spec : undefined;
  const template = isObject(spec) ? spec.template : undefined;
  if (!isObject(template))
    throw new InjectionError(`injection: ${kind} ${name} has no spec.template`);
  return { kind, name, pod: template as PodLike };
}
