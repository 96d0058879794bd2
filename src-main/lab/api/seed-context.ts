// What seeding the lab's objects shares: the context it reads and creating an object as the API's create would.
import type { PreparedLab } from '../session/prepare';
import type { RawDocument } from '../scenario/types';
import { clone, isRecord, type KubeObject } from './objects';
import type { KindDescriptor } from './kinds';
import type { ObjectStore } from './store';

export interface SeedContext {
  prepared: PreparedLab;
  documents: RawDocument[];
  caCert: string;
  kubernetesVersion: string;
  now: Date;
}

/** Creates an object as the API's create would: the kind's defaults, then the store's metadata. */
export function seedObject(store: ObjectStore, kind: KindDescriptor, obj: KubeObject, created: string): KubeObject {
  const copy = clone(obj);
  delete copy.metadata.resourceVersion;
  copy.metadata.creationTimestamp = created;
  kind.defaults?.(copy);
  const existing = store.get(kind, kind.namespaced ? copy.metadata.namespace : undefined, copy.metadata.name);
  if (existing) return existing;
  // A pod `up` started keeps the uid its containers were given (the downward API's metadata.uid, the sandbox's label).
  const uid = kind.group === '' && kind.resource === 'pods' ? copy.metadata.uid : undefined;
  return store.create(kind, copy, uid ? { uid } : {});
}

/** The raw document of an object the manifests declared, if they did. */
export function declared(documents: RawDocument[], kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
  for (let i = documents.length - 1; i >= 0; i--) {
    const d = documents[i];
    const meta = isRecord(d.value.metadata) ? d.value.metadata : {};
    const ns = typeof meta.namespace === 'string' ? meta.namespace : 'default';
    if (d.kind === kind && meta.name === name && (namespace === undefined || ns === namespace)) {
      return clone(d.value) as unknown as KubeObject;
    }
  }
  return undefined;
}


/** The pod spec the manifests wrote: a Pod's, or its Deployment's template's. */
export function writtenPodSpec(documents: RawDocument[], pod: { namespace: string; name: string; workload?: { name: string } }): Record<string, unknown> {
  const rec = (v: unknown): Record<string, unknown> => (isRecord(v) ? v : {});
  if (pod.workload) {
    const dep = declared(documents, 'Deployment', pod.namespace, pod.workload.name);
    return clone(rec(rec(rec(dep?.spec).template).spec));
  }
  return clone(rec(declared(documents, 'Pod', pod.namespace, pod.name)?.spec));
}
