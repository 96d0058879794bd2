// The workload kinds istioctl decodes into Go types, and what those types add when marshalled back (`strategy: {}`, `status: {}` …).
import { canonicalQuantity } from '../../lab/injection/quantity';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * pkg/kube/inject's injectScheme: the group/version/kinds kube-inject decodes (and injects); any
 * other document, `apps/v1beta1` Deployments among them, is written back as it was read.
 */
const REGISTERED: Record<string, string[]> = {
  v1: ['Pod', 'ReplicationController', 'List'],
  'apps/v1': ['Deployment', 'DaemonSet', 'ReplicaSet', 'StatefulSet'],
  'batch/v1': ['Job', 'CronJob'],
};

/** Registered in istioctl too, but not rendered by the lab: refused by name rather than passed through. */
export function isUnservedKind(apiVersion: unknown, kind: unknown): boolean {
  return apiVersion === 'apps.openshift.io/v1' && kind === 'DeploymentConfig';
}

export function isRegisteredKind(apiVersion: unknown, kind: unknown): boolean {
  return (
    typeof apiVersion === 'string' &&
    typeof kind === 'string' &&
    (REGISTERED[apiVersion] ?? []).includes(kind)
  );
}

/** Fields a kind's Go status struct always writes (ints without omitempty). */
const STATUS: Record<string, Obj> = {
  Pod: {},
  Deployment: {},
  Job: {},
  CronJob: {},
  ReplicaSet: { replicas: 0 },
  ReplicationController: { replicas: 0 },
  StatefulSet: { availableReplicas: 0, replicas: 0 },
  DaemonSet: {
    currentNumberScheduled: 0,
    desiredNumberScheduled: 0,
    numberMisscheduled: 0,
    numberReady: 0,
  },
};

/** Struct-typed spec fields without a pointer: encoding/json writes them even when empty. */
const SPEC_STRUCTS: Record<string, string[]> = {
  Deployment: ['strategy'],
  StatefulSet: ['updateStrategy'],
  DaemonSet: ['updateStrategy'],
};

/** null means "absent" to encoding/json for every pointer, slice and map field: drop them, as decoding does. */
function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = dropNulls(x);
  return out;
}

/** A container as corev1.Container marshals: `resources` always, its quantities canonical. */
function container(c: unknown): unknown {
  if (!isObj(c)) return c;
  const out: Obj = { ...c };
  const r = isObj(c.resources) ? c.resources : {};
  const res: Obj = {};
  for (const [k, v] of Object.entries(r)) {
    res[k] = isObj(v)
      ? Object.fromEntries(Object.entries(v).map(([n, q]) => [n, canonicalQuantity(q)]))
      : v;
  }
  out.resources = res;
  return out;
}

function podSpec(spec: unknown): Obj {
  const out: Obj = isObj(spec) ? { ...spec } : {};
  for (const key of ['containers', 'initContainers', 'ephemeralContainers']) {
    if (Array.isArray(out[key])) out[key] = (out[key] as unknown[]).map(container);
  }
  // `containers` has no omitempty.
  if (!('containers' in out)) out.containers = null;
  return out;
}

/** A PodTemplateSpec: ObjectMeta is a struct, so `metadata: {}` is written even when empty. */
function podTemplate(t: unknown): Obj {
  const src = isObj(t) ? t : {};
  return { ...src, metadata: isObj(src.metadata) ? src.metadata : {}, spec: podSpec(src.spec) };
}

/** A PersistentVolumeClaim template of a StatefulSet: `spec.resources` and `status` are structs. */
function claimTemplate(c: unknown): unknown {
  if (!isObj(c)) return c;
  const spec = isObj(c.spec) ? c.spec : {};
  return {
    ...c,
    metadata: isObj(c.metadata) ? c.metadata : {},
    spec: { ...spec, resources: isObj(spec.resources) ? spec.resources : {} },
    status: isObj(c.status) ? c.status : {},
  };
}

/**
 * The document as sigs.k8s.io/yaml prints the Go object istioctl decoded: nulls gone, the struct
 * fields encoding/json always writes added. Fields Go would drop (unknown ones, zero values of
 * omitempty fields) are kept as written.
 */
export function asGoTyped(doc: Obj): Obj {
  const kind = String(doc.kind);
  const out = dropNulls(doc) as Obj;
  if (kind === 'List') {
    out.metadata = isObj(out.metadata) ? out.metadata : {};
    return out;
  }
  out.metadata = isObj(out.metadata) ? out.metadata : {};
  if (kind === 'Pod') {
    out.spec = podSpec(out.spec);
  } else {
    const spec: Obj = isObj(out.spec) ? { ...out.spec } : {};
    for (const key of SPEC_STRUCTS[kind] ?? []) if (!isObj(spec[key])) spec[key] = {};
    if (kind === 'CronJob') {
      const jt = isObj(spec.jobTemplate) ? spec.jobTemplate : {};
      const jobSpec = isObj(jt.spec) ? jt.spec : {};
      spec.jobTemplate = {
        ...jt,
        metadata: isObj(jt.metadata) ? jt.metadata : {},
        spec: { ...jobSpec, template: podTemplate(jobSpec.template) },
      };
      if (!('schedule' in spec)) spec.schedule = '';
    } else if ('template' in spec || kind !== 'ReplicationController') {
      spec.template = podTemplate(spec.template);
    }
    if (kind === 'StatefulSet' && Array.isArray(spec.volumeClaimTemplates)) {
      spec.volumeClaimTemplates = spec.volumeClaimTemplates.map(claimTemplate);
    }
    out.spec = spec;
  }
  out.status = { ...(STATUS[kind] ?? {}), ...(isObj(out.status) ? out.status : {}) };
  return out;
}
