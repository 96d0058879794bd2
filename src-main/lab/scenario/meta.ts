// Object metadata (name, namespace, labels, annotations) and the top-level fields of each kind.
import type { ObjectMeta } from './types';
import {
  dns1035Error,
  dnsLabelError,
  dnsSubdomainError,
  isRecord,
  type FieldRule,
  type Reader,
} from './validate';

/** Written by the API server; accepted so that `kubectl get -o yaml` output can be pasted. */
const SERVER_FIELDS = [
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
  'ownerReferences',
  'finalizers',
  'clusterName',
];

export const META_FIELDS: Record<string, FieldRule> = {
  name: 'model',
  namespace: 'model',
  labels: 'model',
  annotations: 'model',
  generateName: 'model',
  ...Object.fromEntries(SERVER_FIELDS.map((f) => [f, 'silent'])),
};

/** Which rule a kind's names follow, as the API server checks them. */
export function nameError(kind: string, name: string): string | undefined {
  if (kind === 'Service') return dns1035Error(name);
  if (kind === 'Namespace' || kind === 'Lab') return dnsLabelError(name);
  return dnsSubdomainError(name);
}

/** The name and namespace as written, before validation, to label messages about the object. */
export function peekIdentity(
  obj: Record<string, unknown>,
  namespaced: boolean,
): { name: string; namespace: string } {
  const meta = isRecord(obj.metadata) ? obj.metadata : {};
  const name = typeof meta.name === 'string' ? meta.name : '';
  const ns =
    typeof meta.namespace === 'string' && meta.namespace !== '' ? meta.namespace : 'default';
  return { name, namespace: namespaced ? ns : '' };
}

export function objectLabel(kind: string, namespace: string, name: string): string {
  const n = name || '(unnamed)';
  return namespace ? `${kind} ${namespace}/${n}` : `${kind} ${n}`;
}

/** Reads and checks `metadata`; undefined when the object has no usable name. */
export function readMeta(
  r: Reader,
  obj: Record<string, unknown>,
  kind: string,
  namespaced: boolean,
): ObjectMeta | undefined {
  const meta = r.map(obj.metadata, '/metadata', 'metadata');
  if (!meta || meta.name === undefined || meta.name === null || meta.name === '') {
    const hint =
      meta && meta.generateName !== undefined
        ? ' (generateName is not supported: the lab needs stable names)'
        : '';
    r.error(meta ? '/metadata' : '', `metadata.name is required${hint}`);
    return undefined;
  }
  r.fields(meta, '/metadata', META_FIELDS);
  const name = r.string(meta.name, '/metadata/name', 'metadata.name');
  if (name === undefined) return undefined;
  const err = nameError(kind, name);
  if (err) r.error('/metadata/name', `${kind} name "${name}" ${err}`);
  let namespace = '';
  if (namespaced) {
    namespace = r.string(meta.namespace, '/metadata/namespace', 'metadata.namespace') || 'default';
    const nsErr = dnsLabelError(namespace);
    if (nsErr) r.error('/metadata/namespace', `namespace "${namespace}" ${nsErr}`);
  }
  return {
    name,
    namespace,
    labels: r.stringMap(meta.labels, '/metadata/labels', 'labels'),
    annotations: r.stringMap(meta.annotations, '/metadata/annotations', 'annotations'),
  };
}

/** Top-level keys of each modelled kind besides apiVersion, kind and metadata. */
export const TOP_FIELDS: Record<string, Record<string, FieldRule>> = {
  Namespace: { spec: 'silent', status: 'silent' },
  Pod: { spec: 'model', status: 'silent' },
  Deployment: { spec: 'model', status: 'silent' },
  Service: { spec: 'model', status: 'silent' },
  ConfigMap: { data: 'model', binaryData: 'model', immutable: 'silent' },
  Sidecar: { spec: 'model', status: 'silent' },
  ServiceEntry: { spec: 'model', status: 'silent' },
  Lab: { spec: 'model' },
};
