// A dump turned into a scenario `up` runs: what the API server and controllers added is stripped.
import { basename, resolve } from 'node:path';
import { stringify } from 'yaml';
import type { Dump, DumpObject } from './read-dump';

/** Kinds a controller makes from the workloads beside them; the lab makes its own. */
const CONTROLLER_MADE = new Set(['ReplicaSet', 'Endpoints', 'EndpointSlice', 'Event', 'ControllerRevision', 'Lease']);

/** metadata fields the API server writes. */
const SERVER_METADATA = ['managedFields', 'ownerReferences', 'resourceVersion', 'uid', 'creationTimestamp', 'generation', 'selfLink'];

/** Annotations kubectl and controllers write. */
const SERVER_ANNOTATIONS = ['kubectl.kubernetes.io/last-applied-configuration', 'deployment.kubernetes.io/revision'];

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface ImportResult {
  /** The scenario's text: a `kind: Lab` document, then the objects. */
  text: string;
  /** One line per object kept, dropped or changed. */
  notes: string[];
}

const nameOf = (o: Record<string, unknown>): string => {
  const m = isRecord(o.metadata) ? o.metadata : {};
  return `${String(o.kind)} ${typeof m.namespace === 'string' ? `${m.namespace}/` : ''}${String(m.name ?? m.generateName ?? '?')}`;
};

/** The Deployment that made a pod: its owner is a ReplicaSet named `<deployment>-<hash>`. */
function madeByDeployment(pod: Record<string, unknown>, deployments: Set<string>): string | undefined {
  const m = isRecord(pod.metadata) ? pod.metadata : {};
  const owners = Array.isArray(m.ownerReferences) ? m.ownerReferences.filter(isRecord) : [];
  for (const o of owners) {
    if (o.kind !== 'ReplicaSet' || typeof o.name !== 'string') continue;
    const deployment = o.name.replace(/-[a-z0-9]+$/, '');
    if (deployments.has(`${String(m.namespace ?? 'default')}/${deployment}`)) return deployment;
  }
  return undefined;
}

/** A copy without status and what the API server added; Services lose their ClusterIPs (the lab assigns them). */
export function cleanObject(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...o };
  delete out.status;
  if (isRecord(o.metadata)) {
    const meta: Record<string, unknown> = { ...o.metadata };
    for (const k of SERVER_METADATA) delete meta[k];
    if (meta.name !== undefined) delete meta.generateName;
    if (isRecord(meta.annotations)) {
      const ann = { ...meta.annotations };
      for (const k of SERVER_ANNOTATIONS) delete ann[k];
      if (Object.keys(ann).length === 0) delete meta.annotations;
      else meta.annotations = ann;
    }
    out.metadata = meta;
  }
  if (o.kind === 'Service' && isRecord(o.spec) && o.spec.clusterIP !== 'None') {
    const spec = { ...o.spec };
    delete spec.clusterIP;
    delete spec.clusterIPs;
    out.spec = spec;
  }
  return out;
}

/** A lab name from the dump's file or folder name: lower case, letters, digits and dashes. */
export function labNameFor(path: string): string {
  const base = basename(resolve(path)).replace(/\.(ya?ml|json)$/i, '');
  const name = base.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
  return name || 'imported';
}

export function importDump(path: string, dump: Dump): ImportResult {
  const notes: string[] = [];
  const deployments = new Set(
    dump.objects
      .filter((o) => o.value.kind === 'Deployment' && isRecord(o.value.metadata))
      .map((o) => {
        const m = o.value.metadata as Record<string, unknown>;
        return `${String(m.namespace ?? 'default')}/${String(m.name)}`;
      }),
  );
  const kept: DumpObject[] = [];
  for (const o of dump.objects) {
    const what = `${nameOf(o.value)} (${o.from})`;
    if (typeof o.value.kind === 'string' && CONTROLLER_MADE.has(o.value.kind)) {
      notes.push(`dropped ${what}: made by a controller from the objects beside it`);
      continue;
    }
    const deployment = o.value.kind === 'Pod' ? madeByDeployment(o.value, deployments) : undefined;
    if (deployment) {
      notes.push(`dropped ${what}: a pod of Deployment ${deployment}, which the lab runs itself (diff still reads it)`);
      continue;
    }
    kept.push(o);
    notes.push(`kept ${what}`);
  }
  for (const r of dump.rules) notes.push(`rules in ${r.path}: compare with sidecar-lab diff ${path}`);
  for (const c of dump.configDumps) notes.push(`config_dump in ${c.path}: compare with the lab's proxy by sidecar-lab diff ${path} once the lab is up`);
  for (const s of dump.skipped) notes.push(`skipped ${s}: neither YAML nor iptables rules`);
  const lab = {
    apiVersion: 'sidecarlab.dev/v1',
    kind: 'Lab',
    metadata: { name: labNameFor(path) },
    spec: { description: `Imported from ${basename(resolve(path))} by sidecar-lab import.` },
  };
  const docs = [lab, ...kept.map((o) => cleanObject(o.value))].map((d) => stringify(d, { lineWidth: 0 }));
  const header = `# sidecar-lab import ${path}: status, managedFields, ownerReferences and ClusterIPs stripped\n`;
  return { text: header + docs.join('---\n'), notes };
}
