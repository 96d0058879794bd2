// The `scale` subresource of Deployments and ReplicaSets (autoscaling/v1 Scale), as `kubectl scale` reads and writes it.
import type { KindDescriptor } from './kinds';
import { isRecord, type KubeObject } from './objects';
import { formatLabelSelector } from './selectors';
import { badRequest, invalid } from './status';
import type { ObjectStore } from './store';

/** The Scale view of a Deployment or ReplicaSet: spec.replicas, status.replicas and the selector as a string. */
export function scaleOf(obj: KubeObject): KubeObject {
  const spec = isRecord(obj.spec) ? obj.spec : {};
  const status = isRecord(obj.status) ? obj.status : {};
  const selector = formatLabelSelector(spec.selector);
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: { replicas: typeof spec.replicas === 'number' ? spec.replicas : 1 },
    // labels.Selector.String(): requirements sorted by key; nothing selected prints as empty.
    status: { replicas: typeof status.replicas === 'number' ? status.replicas : 0, ...(selector !== '<none>' ? { selector } : {}) },
  };
}

/**
 * A Scale written back (PUT, or PATCH applied to the Scale view): the object's spec.replicas
 * changes, through the update path and its admission chain as subresource `scale`. A Scale that
 * carries a resourceVersion must name the object's current one, as kube-apiserver checks it.
 */
export async function writeScale(
  store: ObjectStore,
  kind: KindDescriptor,
  namespace: string | undefined,
  name: string,
  scale: unknown,
  /** The API's update of the whole object (resource-handler's updateObject with subresource `scale`). */
  update: (obj: KubeObject) => Promise<KubeObject>,
): Promise<KubeObject> {
  if (!isRecord(scale)) throw badRequest('the request body must be a JSON object');
  if (scale.kind !== undefined && scale.kind !== 'Scale') throw badRequest(`the body must be a Scale, not ${String(scale.kind)}`);
  const meta = isRecord(scale.metadata) ? scale.metadata : {};
  if (typeof meta.name === 'string' && meta.name !== name) {
    throw badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
  }
  const replicas = isRecord(scale.spec) ? scale.spec.replicas : undefined;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw invalid('Scale', 'autoscaling', name, [
      { field: 'spec.replicas', reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0` },
    ]);
  }
  const current = store.mustGet(kind, namespace, name);
  const resourceVersion = typeof meta.resourceVersion === 'string' && meta.resourceVersion ? meta.resourceVersion : current.metadata.resourceVersion;
  const next: KubeObject = {
    ...current,
    metadata: { ...current.metadata, ...(resourceVersion ? { resourceVersion } : {}) },
    spec: { ...(isRecord(current.spec) ? current.spec : {}), replicas },
  };
  return scaleOf(await update(next));
}

