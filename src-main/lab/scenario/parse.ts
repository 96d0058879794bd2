// Scenario files → Scenario: documents dispatched by kind, checked as a whole, merged across files.
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { posAt, Problems, ScenarioError } from './errors';
import { decideInjection } from './inject';
import { lookupKind } from './kinds';
import { isInjectorConfigMap, readInjectorConfig } from './injector-values';
import { readLabDoc } from './lab-doc';
import { defaultMeshConfig, isMeshConfigMap, readMeshConfig } from './mesh-config';
import { objectLabel, peekIdentity, readMeta, TOP_FIELDS } from './meta';
import { readService } from './services';
import type {
  IgnoredItem,
  InjectorConfig,
  IstioObject,
  RawDocument,
  LabDoc,
  MeshConfig,
  NamespaceSpec,
  Scenario,
  ServiceSpec,
  SourceRef,
  Workload,
} from './types';
import { dnsLabelError, isRecord, Reader } from './validate';
import { readDeployment, readPod } from './workloads';
import { parseYamlDocuments, subSource } from './yaml-source';

/** Everything declared, before the checks that need all files (names, namespaces, injection). */
interface Parts {
  files: string[];
  labs: LabDoc[];
  namespaces: NamespaceSpec[];
  workloads: Workload[];
  services: ServiceSpec[];
  meshes: MeshConfig[];
  injectors: InjectorConfig[];
  sidecars: IstioObject[];
  serviceEntries: IstioObject[];
  ignored: IgnoredItem[];
  documents: RawDocument[];
}

const emptyParts = (): Parts => ({
  files: [],
  labs: [],
  namespaces: [],
  workloads: [],
  services: [],
  meshes: [],
  injectors: [],
  sidecars: [],
  serviceEntries: [],
  ignored: [],
  documents: [],
});

function readDocument(value: unknown, src: SourceRef, parts: Parts, problems: Problems): void {
  const at = (path: string) => posAt(src, path);
  if (!isRecord(value)) {
    problems.add(at(''), 'a Kubernetes object must be a mapping with apiVersion and kind');
    return;
  }
  const { apiVersion, kind } = value;
  if (apiVersion === undefined || apiVersion === null || apiVersion === '') {
    problems.add(
      at(''),
      kind ? `apiVersion is required (kind ${String(kind)})` : 'apiVersion and kind are required',
    );
    return;
  }
  if (kind === undefined || kind === null || kind === '') {
    problems.add(at(''), `kind is required (apiVersion ${String(apiVersion)})`);
    return;
  }
  if (typeof apiVersion !== 'string')
    return problems.add(at('/apiVersion'), 'apiVersion must be a string');
  if (typeof kind !== 'string') return problems.add(at('/kind'), 'kind must be a string');
  const found = lookupKind(apiVersion, kind);
  if (found.outcome === 'error') return problems.add(at(`/${found.at}`), found.message);
  const id = peekIdentity(value, found.namespaced);
  const label = objectLabel(kind, id.namespace, id.name);
  if (kind !== 'List') parts.documents.push({ apiVersion, kind, value, source: src });
  if (found.outcome === 'ignore') {
    parts.ignored.push({
      ...at(''),
      object: label,
      reason: found.reason,
      message: `${label} ignored: ${found.reason}`,
    });
    return;
  }
  if (found.kind === 'List') {
    const items = value.items;
    if (!Array.isArray(items))
      return problems.add(at(items === undefined ? '' : '/items'), 'a List needs items');
    items.forEach((item, i) => readDocument(item, subSource(src, `/items/${i}`), parts, problems));
    return;
  }
  const r = new Reader(src, problems, parts.ignored, label);
  r.fields(value, '', {
    apiVersion: 'model',
    kind: 'model',
    metadata: 'model',
    ...TOP_FIELDS[found.kind],
  });
  const meta = readMeta(r, value, found.kind, found.namespaced);
  if (!meta) return;
  switch (found.kind) {
    case 'Namespace':
      parts.namespaces.push({
        name: meta.name,
        labels: meta.labels,
        annotations: meta.annotations,
        declared: true,
        source: src,
      });
      return;
    case 'Pod': {
      const pod = readPod(r, value, meta);
      if (pod) parts.workloads.push(pod);
      return;
    }
    case 'Deployment': {
      const d = readDeployment(r, value, meta);
      if (d) parts.workloads.push(d);
      return;
    }
    case 'Service': {
      const s = readService(r, value, meta);
      if (s) parts.services.push(s);
      return;
    }
    case 'ConfigMap': {
      if (isMeshConfigMap(meta)) {
        parts.meshes.push(readMeshConfig(r, value));
        return;
      }
      if (isInjectorConfigMap(meta)) {
        parts.injectors.push(readInjectorConfig(r, value));
        return;
      }
      const reason =
        'the lab reads only the mesh config (ConfigMap istio) and the injector values (ConfigMap istio-sidecar-injector) in istio-system';
      parts.ignored.push({
        ...at(''),
        object: label,
        reason,
        message: `${label} ignored: ${reason}`,
      });
      return;
    }
    case 'Sidecar':
    case 'ServiceEntry': {
      const spec = r.map(value.spec, '/spec', 'spec') ?? {};
      const obj: IstioObject = { kind: found.kind, apiVersion, ...meta, spec, source: src };
      (found.kind === 'Sidecar' ? parts.sidecars : parts.serviceEntries).push(obj);
      return;
    }
    case 'Lab': {
      const spec = r.map(value.spec, '/spec', 'spec') ?? {};
      parts.labs.push(readLabDoc(r, meta.name, spec, src, meta.annotations));
      return;
    }
  }
}

function parseInto(text: string, file: string, parts: Parts, problems: Problems): void {
  parts.files.push(file);
  for (const doc of parseYamlDocuments(text, file, problems))
    readDocument(doc.value, doc.source, parts, problems);
}

function fmt(src: SourceRef | undefined): string {
  if (!src) return 'elsewhere';
  const p = posAt(src, '/metadata/name');
  return `${p.file}:${p.line}:${p.col}`;
}

/** Reports the second and later objects with an already used identity. */
function checkUnique<T extends { source?: SourceRef }>(
  items: T[],
  key: (t: T) => string,
  label: (t: T) => string,
  problems: Problems,
): void {
  const seen = new Map<string, T>();
  for (const item of items) {
    const k = key(item);
    const first = seen.get(k);
    if (!first) seen.set(k, item);
    else if (item.source)
      problems.add(
        posAt(item.source, '/metadata/name'),
        `duplicate ${label(item)} (first defined at ${fmt(first.source)})`,
      );
  }
}

function scenarioName(parts: Parts): string {
  if (parts.labs[0]) return parts.labs[0].name;
  const file = parts.files[0] ?? 'scenario';
  const base = basename(file, extname(file))
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return base && !dnsLabelError(base) ? base : 'scenario';
}

/** Checks across all documents and files, implicit namespaces, injection decisions. */
function finalize(parts: Parts, problems: Problems): Scenario {
  const nsLabel = (o: { namespace: string; name: string }) => `${o.namespace}/${o.name}`;
  checkUnique(
    parts.namespaces,
    (n) => n.name,
    (n) => `Namespace ${n.name}`,
    problems,
  );
  checkUnique(
    parts.workloads,
    (w) => `${w.kind}|${nsLabel(w)}`,
    (w) => `${w.kind} ${nsLabel(w)}`,
    problems,
  );
  checkUnique(parts.services, nsLabel, (s) => `Service ${nsLabel(s)}`, problems);
  checkUnique(parts.sidecars, nsLabel, (s) => `Sidecar ${nsLabel(s)}`, problems);
  checkUnique(parts.serviceEntries, nsLabel, (s) => `ServiceEntry ${nsLabel(s)}`, problems);
  checkUnique(
    parts.meshes,
    () => 'mesh',
    () => 'ConfigMap istio-system/istio',
    problems,
  );
  checkUnique(
    parts.injectors,
    () => 'injector',
    () => 'ConfigMap istio-system/istio-sidecar-injector',
    problems,
  );
  checkUnique(
    parts.labs,
    () => 'lab',
    () => 'Lab document (a scenario has one)',
    problems,
  );

  const namespaces = new Map<string, NamespaceSpec>();
  for (const ns of parts.namespaces) if (!namespaces.has(ns.name)) namespaces.set(ns.name, ns);
  const referenced = [
    'default',
    ...parts.workloads.map((w) => w.namespace),
    ...parts.services.map((s) => s.namespace),
    ...parts.sidecars.map((s) => s.namespace),
    ...parts.serviceEntries.map((s) => s.namespace),
    ...parts.meshes.map(() => 'istio-system'),
    ...parts.injectors.map(() => 'istio-system'),
  ];
  for (const name of referenced) {
    if (!namespaces.has(name))
      namespaces.set(name, { name, labels: {}, annotations: {}, declared: false });
  }
  const workloads = parts.workloads.map((w): Workload => {
    const ns = namespaces.get(w.namespace) as NamespaceSpec;
    const injection =
      w.kind === 'Pod'
        ? decideInjection(ns, w.labels, w.annotations, w.spec)
        : decideInjection(ns, w.template.labels, w.template.annotations, w.template.spec);
    return { ...w, injection };
  });
  const lab = parts.labs[0];
  return {
    name: scenarioName(parts),
    ...(lab?.description ? { description: lab.description } : {}),
    files: [...parts.files],
    ...(lab ? { lab } : {}),
    namespaces: [...namespaces.values()],
    workloads,
    services: parts.services,
    mesh: parts.meshes[0] ?? defaultMeshConfig(),
    ...(parts.injectors[0] ? { injector: parts.injectors[0] } : {}),
    sidecars: parts.sidecars,
    serviceEntries: parts.serviceEntries,
    ignored: sortByPosition(parts.ignored, parts.files),
    documents: parts.documents,
  };
}

function sortByPosition(items: IgnoredItem[], files: string[]): IgnoredItem[] {
  const rank = (f: string) => (files.includes(f) ? files.indexOf(f) : files.length);
  return [...items].sort((a, b) => rank(a.file) - rank(b.file) || a.line - b.line || a.col - b.col);
}

/** Parses one file's text. Throws a ScenarioError (first problem, all in `errors`). */
export function parseScenarioText(text: string, file: string): Scenario {
  const problems = new Problems();
  const parts = emptyParts();
  parseInto(text, file, parts, problems);
  const scenario = finalize(parts, problems);
  problems.throwIfAny(parts.files);
  return scenario;
}

/** Reads and parses several files as one scenario (problems of every file are collected). */
export async function parseScenarioFiles(files: string[]): Promise<Scenario> {
  const problems = new Problems();
  const parts = emptyParts();
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      problems.add({ file, line: 1, col: 1 }, `cannot read the file: ${(err as Error).message}`);
      continue;
    }
    parseInto(text, file, parts, problems);
  }
  const scenario = finalize(parts, problems);
  problems.throwIfAny(parts.files);
  return scenario;
}

/** Combines parsed scenarios as if their files had been parsed together. */
export function mergeScenarios(scenarios: Scenario[]): Scenario {
  const problems = new Problems();
  const parts = emptyParts();
  for (const s of scenarios) {
    parts.files.push(...s.files);
    if (s.lab) parts.labs.push(s.lab);
    parts.namespaces.push(...s.namespaces.filter((n) => n.declared));
    parts.workloads.push(...s.workloads);
    parts.services.push(...s.services);
    if (s.mesh.declared) parts.meshes.push(s.mesh);
    if (s.injector?.declared) parts.injectors.push(s.injector);
    parts.sidecars.push(...s.sidecars);
    parts.serviceEntries.push(...s.serviceEntries);
    parts.ignored.push(...s.ignored);
    parts.documents.push(...s.documents);
  }
  const merged = finalize(parts, problems);
  problems.throwIfAny(parts.files);
  return merged;
}

export { ScenarioError };
