// Which writes the running lab follows before its controllers exist: object metadata (labels, annotations) everywhere, and whole objects only where nothing runs from them.
import type { AdmissionPlugin } from './admission';
import { K } from './kinds';
import type { KubeObject } from './objects';
import { methodNotAllowed } from './status';

/** Kinds whose objects nothing in the running lab acts on: stored as written, like any cluster's. */
const STORED_ONLY = new Set<string>([K.namespaces, K.configmaps, K.serviceaccounts, K.events, K.virtualservices, K.destinationrules].map((k) => `${k.group}/${k.resource}`));

/** ConfigMaps that Istio reads: changing them on a cluster changes the mesh, so they are not stored-only. */
const MESH_CONFIGMAPS = new Set(['istio-system/istio', 'istio-system/istio-sidecar-injector']);

/** The object without what a metadata-only change may touch. */
const withoutMetadataChanges = (obj: KubeObject | undefined): unknown => {
  if (!obj) return undefined;
  const copy: Record<string, unknown> = { ...obj, metadata: { ...obj.metadata } };
  delete copy.status;
  const meta = copy.metadata as Record<string, unknown>;
  for (const field of ['labels', 'annotations', 'resourceVersion', 'managedFields', 'generation']) delete meta[field];
  return copy;
};

const HOW = '`sidecar-lab apply FILE` changes Services, ServiceEntries, Sidecars and mesh config on the running lab; pods and workloads change with `sidecar-lab down` and `up`';

export const labWrites: AdmissionPlugin = (request) => {
  const { kind, operation, object, oldObject, namespace, name } = request;
  const id = `${kind.group}/${kind.resource}`;
  const meshConfigMap = kind === K.configmaps && MESH_CONFIGMAPS.has(`${namespace}/${name}`);
  if (STORED_ONLY.has(id) && !meshConfigMap) {
    // Namespaces hold the lab's pods: one with pods in it stays.
    if (kind === K.namespaces && operation === 'DELETE') throw methodNotAllowed(`namespace ${name} cannot be deleted in the lab: its pods run until \`sidecar-lab down\``);
    return undefined;
  }
  if (operation === 'UPDATE' && request.subresource !== 'status' && JSON.stringify(withoutMetadataChanges(object)) === JSON.stringify(withoutMetadataChanges(oldObject))) {
    return undefined;
  }
  const what = `${kind.resource}${kind.group ? `.${kind.group}` : ''}`;
  const verb = operation === 'CREATE' ? 'create' : operation === 'DELETE' ? 'delete' : 'change';
  throw methodNotAllowed(
    `the lab does not yet ${verb} ${what} through its Kubernetes API (labels and annotations can change): ${HOW}`,
  );
};
