// `apply FILE` on a running lab: what `kubectl apply -f FILE` does, through the lab's Kubernetes API; its controllers then bring pods, the node and every sidecar to it.
import { stringify } from 'yaml';
import { LabApiClient } from '../api/client';
import { apiPaths } from '../api/host-state';
import { K, kindByApiVersion, type KindDescriptor } from '../api/kinds';
import type { KubeObject } from '../api/objects';
import { strategicMergePatch } from '../api/patch';
import { ObjectStore } from '../api/store';
import { desiredObjects } from '../kubelet/desired';
import { readLabRecord, writeLabRecord } from '../runtime/lab';
import { parseScenarioFiles, parseScenarioText, posAt, ScenarioError } from '../scenario';
import type { RawDocument } from '../scenario/types';
import { prepareScenario } from './prepare';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** Namespaces first, so the objects in them can be created in the same apply. */
const rank = (d: RawDocument): number => (d.kind === 'Namespace' ? 0 : 1);

/** The object as written, with the annotation kubectl apply keeps of it. */
function asApplied(doc: RawDocument, kind: KindDescriptor): KubeObject {
  const obj = structuredClone(doc.value) as unknown as KubeObject;
  if (kind.namespaced) obj.metadata.namespace ??= 'default';
  obj.metadata.annotations = { ...obj.metadata.annotations, [LAST_APPLIED]: `${JSON.stringify(doc.value)}\n` };
  return obj;
}

/**
 * The live object with the file laid over it as kubectl apply's patch does: a strategic merge, so
 * what others wrote (the injected sidecar, defaults, a Service's cluster IP) stays, and top-level
 * fields the previous apply set and this file no longer has are removed.
 */
function merged(live: KubeObject, applied: KubeObject): KubeObject {
  const patch: Record<string, unknown> = { ...applied };
  const previous = live.metadata.annotations?.[LAST_APPLIED];
  if (previous) {
    try {
      const last = JSON.parse(previous) as Record<string, unknown>;
      for (const field of Object.keys(last)) if (!(field in applied)) patch[field] = null;
    } catch {
      // An annotation that is not JSON was not written by apply: nothing to remove.
    }
  }
  return strategicMergePatch(live, patch) as KubeObject;
}

/**
 * Checks the file with the lab's objects before anything is written: the file alone (its own
 * line and field), then the lab it would make (names, addresses, ports across objects).
 */
async function check(lab: string, file: string): Promise<RawDocument[]> {
  const applied = await parseScenarioFiles([file]);
  const store = new ObjectStore(apiPaths(lab).objects);
  const key = (kind: string, ns: unknown, name: unknown) => `${kind}/${typeof ns === 'string' ? ns : ''}/${String(name)}`;
  const replaced = new Set(applied.documents.map((d) => key(d.kind, (d.value.metadata as Record<string, unknown>)?.namespace ?? 'default', (d.value.metadata as Record<string, unknown>)?.name)));
  const kept = desiredObjects(store).filter((o) => {
    const meta = o.metadata as Record<string, unknown>;
    return !replaced.has(key(String(o.kind), meta.namespace ?? 'default', meta.name));
  });
  const text = [...kept.map((o) => stringify(o)), ...applied.documents.map((d) => stringify(d.value))].join('---\n');
  try {
    prepareScenario(parseScenarioText(text, `${lab} with ${file}`), file);
  } catch (err) {
    if (err instanceof ScenarioError) throw new Error(`${file}: the lab would not run with it: ${err.message}`, { cause: err });
    throw err;
  }
  return applied.documents;
}

export async function applyToLab(lab: string, file: string, log: (message: string) => void): Promise<void> {
  const record = readLabRecord(lab);
  if (!record?.ready) throw new Error(`lab ${lab} is not up (or still starting): nothing to apply ${file} to`);
  const client = LabApiClient.forLab(lab);
  const documents = await check(lab, file);
  await reconciled(lab, await writeDocuments(client, documents, log));
}

/** Creates or updates each document's object as `kubectl apply` does; returns the last resourceVersion written. */
async function writeDocuments(client: LabApiClient, documents: RawDocument[], log: (message: string) => void): Promise<number> {
  let version = 0;
  for (const doc of [...documents].sort((a, b) => rank(a) - rank(b))) {
    const kind = kindByApiVersion(doc.apiVersion, doc.kind);
    const at = posAt(doc.source, '');
    if (!kind) {
      log(`${at.file}:${at.line}: ${doc.kind} (${doc.apiVersion}) skipped: the lab's API does not serve it`);
      continue;
    }
    const obj = asApplied(doc, kind);
    const what = `${kind.singular}${kind.group ? `.${kind.group}` : ''}/${obj.metadata.name}`;
    try {
      const live = await client.get(kind, obj.metadata.namespace, obj.metadata.name);
      const next = live ? merged(live, obj) : obj;
      if (live && JSON.stringify(next) === JSON.stringify(live)) {
        log(`${what} unchanged`);
        continue;
      }
      const written = live ? await client.update(kind, next) : await client.create(kind, next);
      version = Math.max(version, Number(written.metadata.resourceVersion ?? 0));
      log(`${what} ${live ? 'configured' : 'created'}`);
    } catch (err) {
      throw new Error(`${at.file}:${at.line}: ${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
  return version;
}

/** The kinds a workshop step's starting state sets: the mesh's configuration, not its pods. */
const CONFIG_KINDS = [K.services, K.serviceentries, K.sidecars, K.configmaps];
const MESH_CONFIGMAPS = ['istio', 'istio-sidecar-injector'];
const isConfig = (doc: RawDocument): boolean => {
  const kind = kindByApiVersion(doc.apiVersion, doc.kind);
  if (!kind || !CONFIG_KINDS.includes(kind)) return false;
  return kind !== K.configmaps || MESH_CONFIGMAPS.includes(String((doc.value.metadata as Record<string, unknown>)?.name));
};
const docKey = (doc: RawDocument): string => {
  const meta = (doc.value.metadata ?? {}) as Record<string, unknown>;
  return `${doc.kind}/${String(meta.namespace ?? 'default')}/${String(meta.name)}`;
};

/**
 * Puts the running lab's configuration (Services, ServiceEntries, Sidecars, mesh config) back to
 * its scenario's with exactly `files` applied over it: a workshop step's starting state. Pods stay
 * as they run; ServiceEntries and Sidecars that neither declares are deleted.
 */
export async function setAppliedFiles(lab: string, files: string[], log: (message: string) => void): Promise<void> {
  const record = readLabRecord(lab);
  if (!record?.ready) throw new Error(`lab ${lab} is not up (or still starting)`);
  const client = LabApiClient.forLab(lab);
  const wanted = new Map<string, RawDocument>();
  for (const doc of (await parseScenarioFiles([record.run.scenario])).documents.filter(isConfig)) wanted.set(docKey(doc), doc);
  for (const file of files) for (const doc of (await check(lab, file)).filter(isConfig)) wanted.set(docKey(doc), doc);
  let version = await writeDocuments(client, [...wanted.values()], log);
  const store = new ObjectStore(apiPaths(lab).objects);
  for (const kind of [K.serviceentries, K.sidecars]) {
    for (const obj of store.list(kind)) {
      if (wanted.has(`${kind.kind}/${obj.metadata.namespace}/${obj.metadata.name}`)) continue;
      const gone = await client.delete(kind, obj.metadata.namespace, obj.metadata.name);
      version = Math.max(version, Number(gone.metadata.resourceVersion ?? 0));
      log(`${kind.singular}.${kind.group}/${obj.metadata.name} deleted`);
    }
  }
  await reconciled(lab, version);
  const now = readLabRecord(lab);
  if (now) writeLabRecord({ ...now, run: { ...now.run, applied: files } });
}

/** Waits until the lab's kubelet has pushed what was written to the node and the sidecars. */
async function reconciled(lab: string, version: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const done = readLabRecord(lab)?.run.reconciledVersion ?? 0;
    if (done >= version) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the lab did not take the change within ${timeoutMs / 1000} s: \`sidecar-lab status\` shows what runs`);
}

