// YAML inside a string value (proxy.istio.io/config, the mesh ConfigMap), with errors at file positions.
import { innerPosAt, posAt, Problems } from './errors';
import type { Pos, SourceRef } from './types';
import { parseYamlDocuments } from './yaml-source';

export interface Embedded {
  value: unknown;
  /** Position in the outer file of the embedded node at `innerPath`. */
  at(innerPath: string): Pos;
}

/**
 * Parses the string at `path` of `src` as one YAML (or JSON) document. Problems are reported at
 * positions in the outer file. Returns undefined when it does not parse.
 */
export function parseEmbedded(
  text: string,
  src: SourceRef,
  path: string,
  problems: Problems,
  what: string,
): Embedded | undefined {
  const inner = new Problems();
  const docs = parseYamlDocuments(text, src.file, inner);
  for (const p of inner.list)
    problems.add(innerPosAt(src, path, p.line, p.col), `${what}: ${p.detail}`);
  if (inner.list.length > 0) return undefined;
  if (docs.length > 1) {
    problems.add(posAt(src, path), `${what}: must be one YAML document`);
    return undefined;
  }
  const doc = docs[0];
  if (!doc) return { value: null, at: () => posAt(src, path) };
  return {
    value: doc.value,
    at: (innerPath: string) => {
      const hit = nearest(doc.source.paths, innerPath);
      return hit ? innerPosAt(src, path, hit[0], hit[1]) : posAt(src, path);
    },
  };
}

function nearest(
  paths: Record<string, [number, number]>,
  path: string,
): [number, number] | undefined {
  let p = path;
  for (;;) {
    if (paths[p]) return paths[p];
    if (p === '') return undefined;
    p = p.slice(0, p.lastIndexOf('/'));
  }
}
