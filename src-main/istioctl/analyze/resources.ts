// The Kubernetes objects of `istioctl analyze --use-kube=false FILE…`, with the file and line each starts on, as Istio's file source reads them.
import { LineCounter, isNode, parseAllDocuments, type Document } from 'yaml';
import { IstioctlError } from '../errors';
import { isObject, obj, str, type Json } from '../configdump/json';

// Kinds with no namespace: their FullName is the bare name (`Namespace default`).
const CLUSTER_SCOPED = new Set(['Namespace', 'Node', 'ClusterRole', 'ClusterRoleBinding', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'CustomResourceDefinition']);

export interface Resource {
  kind: string;
  name: string;
  /** '' for cluster-scoped kinds. */
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  body: Json;
  file: string;
  line: number;
  /** The line a field (a path of keys and indexes) starts on, if the file has it. */
  lineOf: (path: (string | number)[]) => number | undefined;
  /** An origin that is no object (precheck's cluster-wide checks): its FriendlyName, `Cluster`. */
  origin?: string;
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObject(v)) for (const [k, x] of Object.entries(v)) out[k] = String(x);
  return out;
}

/** The line a document's content starts on (its first key), 1-based. */
function startLine(doc: Document, counter: LineCounter): number {
  const range = doc.contents?.range;
  return range ? counter.linePos(range[0]).line : 1;
}

export function parseResources(file: string, text: string, defaultNamespace: string): Resource[] {
  const counter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: counter });
  if (!Array.isArray(docs)) throw new IstioctlError(`${file}: not a YAML stream`);
  const out: Resource[] = [];
  for (const doc of docs as Document[]) {
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      throw new IstioctlError(`${file}:${counter.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`);
    }
    const body: unknown = doc.toJS();
    if (!isObject(body)) continue;
    const kind = str(body, 'kind');
    const meta = obj(body, 'metadata');
    const name = str(meta, 'name');
    if (kind === '' || name === '') {
      const at = startLine(doc, counter);
      throw new IstioctlError(`${file}:${at}: a resource needs kind and metadata.name`);
    }
    const lineOf = (path: (string | number)[]): number | undefined => {
      const node: unknown = doc.getIn(path, true);
      return isNode(node) && node.range ? counter.linePos(node.range[0]).line : undefined;
    };
    out.push({
      kind,
      name,
      namespace: CLUSTER_SCOPED.has(kind) ? '' : str(meta, 'namespace') || defaultNamespace,
      labels: stringMap(meta.labels),
      annotations: stringMap(meta.annotations),
      body,
      file,
      line: startLine(doc, counter),
      lineOf,
    });
  }
  return out;
}

/** Istio's FullName: `namespace/name`, or `name` for cluster-scoped objects. */
export function fullName(r: Resource): string {
  return r.namespace === '' ? r.name : `${r.namespace}/${r.name}`;
}
