// Multi-document YAML → plain values plus a position for every node (eemeli/yaml AST + LineCounter).
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  Scalar,
  type Document,
  type Node,
} from 'yaml';
import { pointerSegment, type Problems } from './errors';
import type { SourceRef } from './types';

export interface SourceDoc {
  value: unknown;
  source: SourceRef;
}

const MAX_DEPTH = 100;

/**
 * Parses every document of `text`. Empty documents (only `---` or comments) are skipped, as
 * kubectl does. A document with a YAML error is reported (at the error's position) and skipped.
 * Merge keys (`<<`) are honoured because Kubernetes' YAML decoder honours them.
 */
export function parseYamlDocuments(text: string, file: string, problems: Problems): SourceDoc[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, merge: true });
  const pos = (offset: number): [number, number] => {
    const lp = lineCounter.linePos(offset);
    return [Math.max(lp.line, 1), lp.col];
  };
  const out: SourceDoc[] = [];
  docs.forEach((doc, index) => {
    if (doc.errors.length > 0) {
      for (const err of doc.errors) {
        const [line, col] = pos(err.pos[0]);
        problems.add({ file, line, col }, `bad YAML: ${firstLine(err.message)}`);
      }
      return;
    }
    const contents = doc.contents;
    if (contents === null || (isScalar(contents) && contents.value === null)) return;
    const [line, col] = pos(contents.range?.[0] ?? 0);
    const source: SourceRef = { file, line, col, doc: index, paths: {}, keys: {}, strings: {} };
    const walker = new Walker(doc, text, pos, source, problems);
    out.push({ value: walker.walk(contents, '', 0), source });
  });
  return out;
}

function firstLine(message: string): string {
  return message.split('\n')[0].trim();
}

class Walker {
  constructor(
    private readonly doc: Document.Parsed,
    private readonly text: string,
    private readonly pos: (offset: number) => [number, number],
    private readonly source: SourceRef,
    private readonly problems: Problems,
  ) {}

  walk(node: unknown, path: string, depth: number): unknown {
    if (depth > MAX_DEPTH) {
      this.problem(node, 'bad YAML: nesting too deep');
      return null;
    }
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
      return target ? this.walk(target, path, depth + 1) : null;
    }
    const at = this.offset(node);
    if (at !== undefined && !(path in this.source.paths)) this.source.paths[path] = this.pos(at);
    if (isScalar(node)) return this.scalar(node, path);
    if (isSeq(node)) return node.items.map((item, i) => this.walk(item, `${path}/${i}`, depth + 1));
    if (isMap(node)) return this.map(node, path, depth);
    return null;
  }

  private scalar(node: Scalar, path: string): unknown {
    const value = node.value;
    if (typeof value !== 'string' || !node.range) return value;
    const start = this.pos(node.range[0]);
    if (node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE) {
      this.source.strings[path] = [start[0], start[1] + 1, 0];
    } else if (node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED) {
      const content = this.blockContentStart(node.range[0], node.range[1]);
      if (content) {
        const literal = node.type === Scalar.BLOCK_LITERAL ? 1 : 0;
        this.source.strings[path] = [content[0], content[1], literal];
      }
    }
    return value;
  }

  /** Line and column of the first character of a block scalar's first non-empty line. */
  private blockContentStart(from: number, to: number): [number, number] | undefined {
    let i = this.text.indexOf('\n', from);
    while (i !== -1 && i < to) {
      const lineStart = i + 1;
      let j = lineStart;
      while (this.text[j] === ' ') j++;
      if (this.text[j] !== '\n' && this.text[j] !== '\r' && j < to) return this.pos(j);
      i = this.text.indexOf('\n', lineStart);
    }
    return undefined;
  }

  private map(node: Node & { items: unknown[] }, path: string, depth: number): unknown {
    const obj: Record<string, unknown> = {};
    const merges: unknown[] = [];
    for (const item of node.items) {
      const pair = item as { key: unknown; value: unknown };
      if (isScalar(pair.key) && typeof pair.key.value === 'symbol') {
        merges.push(pair.value);
        continue;
      }
      if (!isScalar(pair.key) || pair.key.value === null || typeof pair.key.value === 'object') {
        this.problem(pair.key ?? node, 'bad YAML: mapping keys must be strings');
        continue;
      }
      const key = String(pair.key.value);
      const child = `${path}/${pointerSegment(key)}`;
      const keyAt = this.offset(pair.key);
      if (keyAt !== undefined && !(child in this.source.keys))
        this.source.keys[child] = this.pos(keyAt);
      if (pair.value === null || pair.value === undefined) {
        if (keyAt !== undefined && !(child in this.source.paths)) {
          this.source.paths[child] = this.pos(keyAt);
        }
        obj[key] = null;
      } else {
        obj[key] = this.walk(pair.value, child, depth + 1);
      }
    }
    // Explicit keys win over merged ones; of several merged maps, the first wins (YAML merge).
    for (const m of merges) {
      const sources = isSeq(m) ? m.items : [m];
      for (const s of sources) {
        const resolved = isAlias(s) ? s.resolve(this.doc) : s;
        if (!isMap(resolved)) {
          this.problem(s, 'bad YAML: a merge key (<<) needs a mapping or a list of mappings');
          continue;
        }
        const merged = this.map(resolved, path, depth + 1) as Record<string, unknown>;
        for (const [k, v] of Object.entries(merged)) if (!(k in obj)) obj[k] = v;
      }
    }
    return obj;
  }

  private offset(node: unknown): number | undefined {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    return range?.[0];
  }

  private problem(node: unknown, detail: string): void {
    const [line, col] = this.pos(this.offset(node) ?? 0);
    this.problems.add({ file: this.source.file, line, col }, detail);
  }
}

/** The SourceRef of a sub-object (an item of a `kind: List`), with paths re-rooted at `prefix`. */
export function subSource(src: SourceRef, prefix: string): SourceRef {
  const pick = <T>(rec: Record<string, T>): Record<string, T> => {
    const out: Record<string, T> = {};
    for (const [k, v] of Object.entries(rec)) {
      if (k === prefix || k.startsWith(prefix + '/')) out[k.slice(prefix.length)] = v;
    }
    return out;
  };
  const at = src.paths[prefix] ?? [src.line, src.col];
  return {
    file: src.file,
    line: at[0],
    col: at[1],
    doc: src.doc,
    paths: pick(src.paths),
    keys: pick(src.keys),
    strings: pick(src.strings),
  };
}
