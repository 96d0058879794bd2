// One document of `istioctl kube-inject`: pkg/kube/inject's IntoObject (skip rules, re-injection, the sidecar template) over the lab's renderer.
import { LineCounter, parseDocument, type Document } from 'yaml';
import {
  InjectionError,
  renderInjectedWorkload,
  type InjectorValues,
  type KubePod,
  type MeshLike,
} from '../../lab/injection';
import { IstioctlError, NotImplementedError } from '../errors';
import { goYamlMarshal } from './go-yaml';
import type { RawDocument } from './documents';
import { asGoTyped, isRegisteredKind, isUnservedKind } from './go-types';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface InjectSettings {
  mesh: MeshLike;
  values: InjectorValues;
  /** The control plane revision written to the pod (`default` when none). */
  revision: string;
  /** Istio's ENABLE_NATIVE_SIDECARS: istio-proxy as an init container with restartPolicy Always. */
  nativeSidecar: boolean;
}

/** Where an error happened: istioctl names neither; the lab names the file, the document and the line. */
export interface DocPlace {
  file: string;
  doc: RawDocument;
}

type Path = (string | number)[];

/** A document being injected: where it is, its parsed nodes (for lines) and the path of the object inside it (a List's item). */
interface At extends DocPlace {
  parsed?: Document;
  lines?: LineCounter;
  base: Path;
}

const STATUS = 'sidecar.istio.io/status';
const INJECT = 'sidecar.istio.io/inject';
/** pkg/kube/inject IgnoredNamespaces: system namespaces never injected. */
const IGNORED_NAMESPACES = ['kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage'];

/** The file line of the node at `path` (under the object's base), or of the nearest parent that exists. */
function lineOf(at: At, path: Path): number {
  const full = [...at.base, ...path];
  for (let n = full.length; n >= 0 && at.parsed && at.lines; n--) {
    const node = at.parsed.getIn(full.slice(0, n), true) as
      { range?: [number, number, number] } | undefined;
    if (node?.range) return at.doc.line + at.lines.linePos(node.range[0]).line - 1;
  }
  return at.doc.line;
}

function fail(at: At, message: string, path: Path = []): never {
  throw new IstioctlError(
    `${at.file}: document ${at.doc.index} (line ${lineOf(at, path)}): ${message}`,
  );
}

/** Where a kind keeps its pod. */
function podPath(kind: string): Path {
  if (kind === 'Pod') return [];
  return kind === 'CronJob' ? ['spec', 'jobTemplate', 'spec', 'template'] : ['spec', 'template'];
}

/** The pod template inside a (cloned) workload, to be changed in place; undefined when there is none. */
function podOf(doc: Obj): KubePod | undefined {
  if (doc.kind === 'Pod') return doc as KubePod;
  const spec = isObj(doc.spec) ? doc.spec : undefined;
  const holder =
    doc.kind === 'CronJob'
      ? isObj(spec?.jobTemplate) && isObj(spec.jobTemplate.spec)
        ? spec.jobTemplate.spec
        : undefined
      : spec;
  return isObj(holder?.template) ? (holder.template as KubePod) : undefined;
}

/** Go decodes labels and annotations into map[string]string: a number or boolean there is an error, not a string. */
function checkStringMaps(meta: unknown, path: Path, at: At): void {
  if (!isObj(meta)) return;
  const shown = path.join('.');
  // YAML 1.1, as go-yaml reads it: `name: off` or `name: 2024` is not a string either.
  for (const field of ['name', 'namespace', 'generateName']) {
    const v = meta[field];
    if (v !== undefined && v !== null && typeof v !== 'string') {
      fail(
        at,
        `${shown}.${field} must be a string, got ${typeof v} ${JSON.stringify(v)} (quote it): ` +
          `json: cannot unmarshal ${typeof v === 'boolean' ? 'bool' : typeof v} into Go struct field ObjectMeta.metadata.${field} of type string`,
        [...path, field],
      );
    }
  }
  for (const field of ['labels', 'annotations']) {
    const m = meta[field];
    if (m === undefined || m === null) continue;
    if (!isObj(m)) fail(at, `${shown}.${field} must be a mapping of strings`, [...path, field]);
    for (const [k, v] of Object.entries(m)) {
      if (v !== null && typeof v !== 'string') {
        const goType = typeof v === 'boolean' ? 'bool' : typeof v;
        fail(
          at,
          `${shown}.${field}["${k}"] must be a string, got ${typeof v} ${JSON.stringify(v)} (quote it): ` +
            `json: cannot unmarshal ${goType} into Go struct field ObjectMeta.metadata.${field} of type string`,
          [...path, field, k],
        );
      }
    }
  }
}

/** injectRequired with the policy kube-inject uses (enabled): the label wins over the annotation; y/yes/true/on or unset inject. */
function injectionRequested(pod: KubePod): boolean {
  if (IGNORED_NAMESPACES.includes(pod.metadata?.namespace ?? '')) return false;
  const label = pod.metadata?.labels?.[INJECT];
  const selector = label ?? pod.metadata?.annotations?.[INJECT] ?? '';
  return selector === '' || ['y', 'yes', 'true', 'on'].includes(selector.toLowerCase());
}

/** stripPod: a pod injected before is injected afresh (its containers, volumes and status annotation removed first). */
function stripPreviousInjection(pod: KubePod, statusPort: number): void {
  const annotations = pod.metadata?.annotations;
  const raw = annotations?.[STATUS];
  if (!annotations || raw === undefined) return;
  delete annotations[STATUS];
  let status: {
    initContainers?: string[] | null;
    containers?: string[] | null;
    volumes?: string[] | null;
  };
  try {
    status = JSON.parse(raw) as typeof status;
  } catch {
    return;
  }
  const spec = pod.spec ?? {};
  const drop = (list: { name?: unknown }[] | undefined, names?: string[] | null) =>
    list?.filter((x) => !(names ?? []).includes(String(x.name)));
  spec.containers = drop(spec.containers, status.containers) as typeof spec.containers;
  if (spec.initContainers)
    spec.initContainers = drop(
      spec.initContainers,
      status.initContainers,
    ) as typeof spec.initContainers;
  // The template's volumes replace same-named ones (a strategic merge in Istio); dropping them avoids duplicates.
  if (spec.volumes) spec.volumes = drop(spec.volumes, status.volumes) as typeof spec.volumes;
  if (annotations['prometheus.io/port'] === String(statusPort)) {
    for (const k of ['prometheus.io/scrape', 'prometheus.io/port', 'prometheus.io/path'])
      delete annotations[k];
  }
}

/** The injected object (or the object unchanged, with a warning, when istioctl skips it). */
function injectObject(obj: Obj, s: InjectSettings, at: At, warn: (w: string) => void): Obj {
  const kind = String(obj.kind);
  if (isUnservedKind(obj.apiVersion, kind))
    throw new NotImplementedError(`kube-inject of ${String(obj.apiVersion)} ${kind}`);
  if (kind === 'List') {
    const items = Array.isArray(obj.items) ? obj.items : [];
    return {
      ...obj,
      items: items.map((it, i) =>
        isObj(it) && isRegisteredKind(it.apiVersion, it.kind)
          ? asGoTyped(injectObject(it, s, { ...at, base: [...at.base, 'items', i] }, warn))
          : it,
      ),
    };
  }
  const out = structuredClone(obj);
  const meta = isObj(out.metadata) ? out.metadata : {};
  const name = typeof meta.name === 'string' ? meta.name : '';
  checkStringMaps(out.metadata, ['metadata'], at);
  const pod = podOf(out);
  const where = podPath(kind);
  if (!pod)
    fail(
      at,
      `${kind} "${name}": ${where.join('.')} is required value (a ${kind} needs a pod template to inject into)`,
      where,
    );
  if (kind !== 'Pod') checkStringMaps(pod.metadata, [...where, 'metadata'], at);
  const ns = typeof meta.namespace === 'string' ? meta.namespace : '';
  const fullName = `${ns ? `${ns}/` : ''}${pod.metadata?.name || name}`;
  if (pod.spec?.hostNetwork === true) {
    warn(`===> Skipping injection because ${kind} "${fullName}" has host networking enabled\n`);
    return out;
  }
  if (!injectionRequested(pod)) {
    warn(`===> Skipping injection because ${kind} "${fullName}" has sidecar injection disabled\n`);
    return out;
  }
  stripPreviousInjection(pod, s.values.global.proxy.statusPort);
  try {
    return renderInjectedWorkload(out, {
      mesh: s.mesh,
      values: s.values,
      revision: s.revision,
      nativeSidecar: s.nativeSidecar,
    }) as Obj;
  } catch (err) {
    if (!(err instanceof InjectionError)) throw err;
    const path = err.annotation ? [...where, 'metadata', 'annotations', err.annotation] : where;
    fail(at, err.message.replace(/^injection: /, ''), path);
  }
}

/**
 * IntoResourceFile for one document: the registered workload kinds are injected and printed as
 * sigs.k8s.io/yaml prints Go objects; anything else comes back as it was read. Each is followed by `---`.
 */
export function injectDocument(
  place: DocPlace,
  s: InjectSettings,
  warn: (w: string) => void,
): string {
  const lines = new LineCounter();
  const parsed = parseDocument(place.doc.text, {
    version: '1.1',
    prettyErrors: false,
    uniqueKeys: false,
    lineCounter: lines,
  });
  const at: At = { ...place, base: [] };
  const err = parsed.errors[0];
  if (err) {
    // An error at the end of the text (an unclosed bracket) is on the document's last line.
    const last = place.doc.line + place.doc.text.split('\n').length - 2;
    const line = Math.min(place.doc.line + lines.linePos(err.pos[0]).line - 1, last);
    throw new IstioctlError(
      `${place.file}: document ${place.doc.index} (line ${line}): yaml: ${err.message.split('\n')[0]}`,
    );
  }
  const value: unknown = parsed.toJS();
  if (value === null || value === undefined) return `${place.doc.text}---\n`;
  if (!isObj(value))
    fail(
      at,
      `not a Kubernetes object: the document is a ${Array.isArray(value) ? 'list' : typeof value}, not a mapping with apiVersion and kind`,
    );
  if (
    !isRegisteredKind(value.apiVersion, value.kind) &&
    !isUnservedKind(value.apiVersion, value.kind)
  )
    return `${place.doc.text}---\n`;
  const injected = injectObject(value, s, { ...at, parsed, lines }, warn);
  return `${goYamlMarshal(asGoTyped(injected))}---\n`;
}
