// A running lab written out as one file: its objects as the lab's API holds them, cleaned as `import` cleans a dump, so another engineer runs it with `up` and a cluster takes it with `kubectl apply`.
import { stringify } from 'yaml';
import { LabApiClient } from '../api/client';
import { apiVersionOf, K, type KindDescriptor } from '../api/kinds';
import { isRecord, type KubeObject } from '../api/objects';
import type { LabStatus } from '../runtime/status';
import { parseScenarioFiles, resolveScenarioArg } from '../scenario';
import { cleanObject } from './import';

/** Namespaces that belong to the lab's cluster, not to the reproduction. */
const CLUSTER_NAMESPACES = new Set(['kube-system', 'kube-public', 'kube-node-lease', 'istio-system']);

/** Objects every namespace or cluster has: the API server, kubelet and Istio make them. */
const MADE_BY_THE_CLUSTER = new Set(['Service default/kubernetes', 'ConfigMap */kube-root-ca.crt', 'ConfigMap */istio-ca-root-cert', 'ServiceAccount */default']);

/** What is exported, in the order `kubectl apply -f` needs it (namespaces first). */
const EXPORTED: KindDescriptor[] = [K.namespaces, K.configmaps, K.serviceaccounts, K.services, K.deployments, K.pods, K.serviceentries, K.sidecars, K.virtualservices, K.destinationrules];

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

export interface ExportResult {
  text: string;
  /** One line per object written or left out, and per stand-in. */
  notes: string[];
}

const keyOf = (o: KubeObject): string => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

function madeByTheCluster(o: KubeObject): boolean {
  return MADE_BY_THE_CLUSTER.has(keyOf(o)) || MADE_BY_THE_CLUSTER.has(`${o.kind} */${o.metadata.name}`);
}

/**
 * A pod as its author wrote it: what `kubectl apply` recorded when there is such a record; otherwise
 * the stored pod without what the node and the lab added (node, the service-account token volume,
 * the lab's `tap` debug container). Istio's injection stays when it is all there is: `up` and a
 * cluster both run an injected pod as given.
 */
function authoredPod(pod: KubeObject): Record<string, unknown> {
  const applied = pod.metadata.annotations?.[LAST_APPLIED];
  if (applied) return JSON.parse(applied) as Record<string, unknown>;
  const out = cleanObject(pod);
  const spec = isRecord(out.spec) ? { ...out.spec } : {};
  delete spec.nodeName;
  delete spec.ephemeralContainers;
  const tokenVolume = (v: unknown): boolean => isRecord(v) && typeof v.name === 'string' && v.name.startsWith('kube-api-access-');
  if (Array.isArray(spec.volumes)) spec.volumes = spec.volumes.filter((v) => !tokenVolume(v));
  for (const list of ['containers', 'initContainers'] as const) {
    if (!Array.isArray(spec[list])) continue;
    spec[list] = spec[list].map((c: unknown) =>
      isRecord(c) && Array.isArray(c.volumeMounts) ? { ...c, volumeMounts: c.volumeMounts.filter((m) => !tokenVolume(m)) } : c,
    );
  }
  out.spec = spec;
  return out;
}

export function authored(o: KubeObject): Record<string, unknown> {
  const out = o.kind === 'Pod' ? authoredPod(o) : cleanObject(o);
  if (o.kind === 'Namespace') delete out.spec;
  return manifestOrder(out);
}

/** apiVersion, kind and metadata first, as people write manifests; no empty annotations (kubectl records `{}`). */
function manifestOrder(doc: Record<string, unknown>): Record<string, unknown> {
  const { apiVersion, kind, metadata, ...rest } = doc;
  const meta = isRecord(metadata) ? { ...metadata } : {};
  if (isRecord(meta.annotations) && Object.keys(meta.annotations).length === 0) delete meta.annotations;
  const { name, namespace, ...more } = meta;
  return { apiVersion, kind, metadata: { name, ...(namespace === undefined ? {} : { namespace }), ...more }, ...rest };
}

/** The stand-ins the running pods use in place of images absent here, as lines for the file's header. */
function standInLines(status: LabStatus): string[] {
  const lines: string[] = [];
  for (const pod of status.pods) {
    for (const c of pod.containers) {
      if (c.replaces) lines.push(`${pod.namespace}/${pod.name} container ${c.name}: ${c.replaces} ran as the lab's stand-in ${c.image}`);
    }
  }
  return lines;
}

/** Every object of a kind, in all namespaces. */
async function listAll(client: LabApiClient, kind: KindDescriptor): Promise<KubeObject[]> {
  const base = kind.group ? `/apis/${apiVersionOf(kind)}` : `/api/${kind.versions[0]}`;
  return (await client.call<{ items?: KubeObject[] }>('GET', `${base}/${kind.resource}`)).items ?? [];
}

/**
 * The commands that show the symptom: those the Lab document already lists (the scenario's, or an
 * earlier export's) and the new ones, once each, in order. The lab does not record what was typed
 * in its terminals (a shell's line editing makes keystrokes no command list), so they are given.
 */
export function mergeSymptoms(existing: unknown, added: string[]): string[] {
  const out: string[] = Array.isArray(existing) ? existing.filter((s): s is string => typeof s === 'string').map((s) => s.trim()) : [];
  for (const s of added.map((a) => a.trim())) if (!out.includes(s)) out.push(s);
  return out;
}

/** The lab's objects as one multi-document YAML: the `kind: Lab` document first, then what `kubectl apply` takes. */
export async function exportLab(lab: string, scenario: string, status: LabStatus, now = new Date(), symptoms: string[] = []): Promise<ExportResult> {
  const client = LabApiClient.forLab(lab);
  const notes: string[] = [];
  // Objects of the lab's own namespaces are written when the scenario brought them (the mesh ConfigMap) or someone applied them.
  const fromScenario = new Set<string>();
  try {
    const parsed = await parseScenarioFiles([resolveScenarioArg(scenario)]);
    for (const d of parsed.documents) {
      const m = isRecord(d.value.metadata) ? d.value.metadata : {};
      fromScenario.add(`${d.kind} ${typeof m.namespace === 'string' ? `${m.namespace}/` : ''}${String(m.name)}`);
    }
  } catch {
    notes.push(`the scenario ${scenario} could not be read again: objects of istio-system are written only when applied with kubectl`);
  }
  const docs: Record<string, unknown>[] = [];
  for (const kind of EXPORTED) {
    for (const item of await listAll(client, kind)) {
      // A list's items may leave out apiVersion and kind; a manifest needs them.
      const o: KubeObject = { ...item, apiVersion: item.apiVersion ?? apiVersionOf(kind), kind: item.kind ?? kind.kind };
      const key = keyOf(o);
      const ns = o.kind === 'Namespace' ? o.metadata.name : (o.metadata.namespace ?? 'default');
      const own = CLUSTER_NAMESPACES.has(ns) && !fromScenario.has(key) && !o.metadata.annotations?.[LAST_APPLIED];
      if (own || madeByTheCluster(o)) continue;
      if ((o.metadata.ownerReferences ?? []).some((r) => r.controller)) {
        notes.push(`left out ${key}: made by ${o.metadata.ownerReferences?.find((r) => r.controller)?.kind ?? 'a controller'}, which makes it again`);
        continue;
      }
      docs.push(authored(o));
      notes.push(`wrote ${key}`);
    }
  }
  const stored = await listAll(client, K.labs);
  const labDoc: Record<string, unknown> = { apiVersion: apiVersionOf(K.labs), kind: 'Lab', metadata: { name: lab }, spec: {}, ...(stored[0] ? cleanObject(stored[0]) : {}) };
  const spec = isRecord(labDoc.spec) ? { ...labDoc.spec } : {};
  const stamp = now.toISOString().replace(/\.\d+Z$/, 'Z');
  spec.description = `${typeof spec.description === 'string' ? `${spec.description.trim()} ` : ''}(Exported from lab ${lab} at ${stamp}.)`;
  const allSymptoms = mergeSymptoms(spec.symptoms, symptoms);
  if (allSymptoms.length) spec.symptoms = allSymptoms;
  for (const s of allSymptoms) notes.push(`symptom: ${s}`);
  labDoc.spec = spec;
  const standIns = standInLines(status);
  for (const s of standIns) notes.push(`stand-in: ${s}`);
  const header = [
    `# sidecar-lab export of lab ${lab} at ${stamp}.`,
    '# Run it with `sidecar-lab up FILE`; on a cluster, `kubectl apply -f FILE` takes every document but the first (kind: Lab)',
    "# (a kube-system pod of the scenario's is the lab's stand-in for the API server: leave it out there too).",
    ...(standIns.length ? ['# Images absent from the lab ran as stand-ins (the same choice is made again from the images and annotations):', ...standIns.map((s) => `#   ${s}`)] : []),
    ...(allSymptoms.length ? ['# The commands that show the symptom (spec.symptoms of the Lab document; `up FILE` prints them):', ...allSymptoms.map((s) => `#   ${s}`)] : []),
    '',
  ].join('\n');
  return { text: header + [manifestOrder(labDoc), ...docs].map((d) => stringify(d, { lineWidth: 0 })).join('---\n'), notes };
}
