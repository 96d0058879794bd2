// ScenarioError: a problem in the manifests, with the 1-based position of the offending node.
import type { Pos, SourceRef } from './types';

/**
 * Thrown by the parser and the planner. All problems are collected before anything runs; the
 * thrown error describes the first one (in file, then document order) and `errors` lists every
 * one, the first included, so a UI can show them all. `message` is `FILE:LINE:COL: text`.
 */
export class ScenarioError extends Error {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** The text without the position prefix. */
  readonly detail: string;
  readonly errors: ScenarioError[];

  constructor(pos: Pos, detail: string, others: ScenarioError[] = []) {
    super(`${pos.file}:${pos.line}:${pos.col}: ${detail}`);
    this.name = 'ScenarioError';
    this.file = pos.file;
    this.line = pos.line;
    this.col = pos.col;
    this.detail = detail;
    this.errors = [this, ...others];
  }

  override toString(): string {
    return this.message;
  }

  /** Every problem, one `FILE:LINE:COL: text` per line. */
  formatAll(): string {
    return this.errors.map((e) => e.message).join('\n');
  }
}

/** Collects problems and throws them together. */
export class Problems {
  readonly list: ScenarioError[] = [];

  add(pos: Pos, detail: string): void {
    this.list.push(new ScenarioError(pos, detail));
  }

  addError(err: ScenarioError): void {
    this.list.push(...err.errors);
  }

  /**
   * Throws the first problem (with all of them attached) if there is any. Problems are ordered by
   * file (in `files` order, others last), then line and column.
   */
  throwIfAny(files: string[] = []): void {
    const rank = (f: string) => (files.includes(f) ? files.indexOf(f) : files.length);
    const sorted = [...this.list].sort(
      (a, b) => rank(a.file) - rank(b.file) || a.line - b.line || a.col - b.col,
    );
    const [first, ...rest] = sorted;
    if (first) throw new ScenarioError(first, first.detail, rest);
  }
}

/** JSON-pointer escaping of one path segment (`sidecar.istio.io/inject` → `sidecar.istio.io~1inject`). */
export function pointerSegment(seg: string | number): string {
  return String(seg).replace(/~/g, '~0').replace(/\//g, '~1');
}

export function pointer(...segs: (string | number)[]): string {
  return segs.map((s) => '/' + pointerSegment(s)).join('');
}

/**
 * The position of the value at `path` (a JSON pointer) in an object's source, or of its key
 * when `key` is set; falls back to the nearest ancestor that exists (a missing field is reported
 * at the mapping that lacks it).
 */
export function posAt(src: SourceRef, path: string, key = false): Pos {
  let p = path;
  for (;;) {
    const hit = (key ? src.keys[p] : undefined) ?? src.paths[p];
    if (hit) return { file: src.file, line: hit[0], col: hit[1] };
    if (p === '') return { file: src.file, line: src.line, col: src.col };
    p = p.slice(0, p.lastIndexOf('/'));
    key = false;
  }
}

/**
 * The position of `line:col` (1-based) inside the string value at `path`, e.g. an error inside
 * the YAML of a `proxy.istio.io/config` annotation. Exact for `|` block scalars and for the first
 * line of other scalars without escapes; otherwise the value's own position.
 */
export function innerPosAt(src: SourceRef, path: string, line: number, col: number): Pos {
  const at = posAt(src, path);
  const start = src.strings[path] ?? (src.paths[path] ? [at.line, at.col, 0] : undefined);
  if (!start) return at;
  if (start[2] === 1) return { file: src.file, line: start[0] + line - 1, col: start[1] + col - 1 };
  if (line === 1) return { file: src.file, line: start[0], col: start[1] + col - 1 };
  return at;
}
