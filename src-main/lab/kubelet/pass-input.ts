// Which store changes call for a kubelet pass: the watched resources, and of each object only what a pass reads.
import { K } from '../api/kinds';
import { isRecord, type KubeObject } from '../api/objects';

/** Changes to these resources can change what runs or what the proxies and the node are told. */
export const WATCHED = new Set([K.pods, K.services, K.serviceentries, K.sidecars, K.configmaps, K.namespaces].map((k) => `${k.group}/${k.resource}`));
const PODS = `${K.pods.group}/${K.pods.resource}`;

export const isReady = (pod: KubeObject): boolean =>
  isRecord(pod.status) && Array.isArray(pod.status.conditions) && pod.status.conditions.some((c) => isRecord(c) && c.type === 'Ready' && c.status === 'True');

/**
 * What of an object a kubelet pass reads: everything but the status and the server's bookkeeping,
 * and of a pod's status only its address and readiness (the endpoints follow them). Restart counts,
 * container states and timestamps change nothing that runs.
 */
export function passInput(resource: string, obj: KubeObject): string {
  const meta: Record<string, unknown> = { ...obj.metadata };
  delete meta.resourceVersion;
  delete meta.managedFields;
  delete meta.generation;
  const rest: Record<string, unknown> = { ...obj, metadata: meta };
  delete rest.status;
  if (resource === PODS) rest.status = { podIP: isRecord(obj.status) ? obj.status.podIP : undefined, ready: isReady(obj) };
  return JSON.stringify(rest);
}

