// A step's ```check block: small declarative YAML → typed checks, with errors naming the file, line and field.
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { WorkshopError, type Check, type CheckKind, type SourcePos } from './types';

type Fields = Record<string, unknown>;

/** Which fields each check takes, and which of them must be there. */
const SPEC: Record<CheckKind, { required: string[]; optional: string[] }> = {
  flow: {
    required: [],
    optional: ['pod', 'namespace', 'direction', 'to', 'verdict', 'rule', 'listener', 'cluster', 'responseCode', 'responseFlags'],
  },
  counter: { required: ['pod', 'chain', 'rule'], optional: ['namespace', 'table', 'increased'] },
  command: { required: ['pod', 'run'], optional: ['namespace', 'container', 'user', 'expect', 'exitCode'] },
  object: { required: ['kind', 'jsonpath'], optional: ['name', 'selector', 'namespace', 'equals', 'matches'] },
  file: { required: ['path', 'jsonpath'], optional: ['kind', 'equals', 'matches'] },
  accessLog: { required: ['pod', 'expect'], optional: ['namespace'] },
};

const KINDS = Object.keys(SPEC) as CheckKind[];

class BlockReader {
  private readonly lines = new LineCounter();
  readonly doc: Document;

  constructor(
    text: string,
    private readonly at: SourcePos,
  ) {
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false });
    const bad = this.doc.errors[0];
    if (bad) this.fail(bad.pos[0], `bad YAML in the check: ${bad.message.split('\n')[0]}`);
  }

  /** Line in the Markdown file of an offset in the block (the block starts on the line after its fence). */
  line(offset: number): number {
    return this.at.line + this.lines.linePos(offset).line;
  }

  fail(offset: number, detail: string): never {
    throw new WorkshopError({ file: this.at.file, line: this.line(offset) }, detail);
  }

  offsetOf(path: (string | number)[]): number {
    const node = this.doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
    return node?.range ? node.range[0] : this.keyOffset(path);
  }

  /** Where the key of `path` is written: errors about a whole check point at its name. */
  keyOffset(path: (string | number)[]): number {
    const parent = path.length > 1 ? (this.doc.getIn(path.slice(0, -1), true) as unknown) : this.doc.contents;
    if (isMap(parent)) {
      const pair = parent.items.find((p) => (p.key as { value?: unknown } | null)?.value === path.at(-1));
      const key = pair?.key as { range?: [number, number, number] } | undefined;
      if (key?.range) return key.range[0];
    }
    return 0;
  }
}

function str(r: BlockReader, path: (string | number)[], v: unknown, field: string): string {
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number') return String(v);
  return r.fail(r.offsetOf(path), `${field}: expected a non-empty string, got ${JSON.stringify(v) ?? 'nothing'}`);
}

function oneOf<T extends string>(r: BlockReader, path: (string | number)[], v: unknown, field: string, allowed: readonly T[]): T {
  if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
  return r.fail(r.offsetOf(path), `${field}: expected one of ${allowed.join(', ')}, got ${JSON.stringify(v) ?? 'nothing'}`);
}

function int(r: BlockReader, path: (string | number)[], v: unknown, field: string): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  return r.fail(r.offsetOf(path), `${field}: expected a whole number, got ${JSON.stringify(v)}`);
}

function regex(r: BlockReader, path: (string | number)[], v: unknown, field: string): string {
  const text = str(r, path, v, field);
  try {
    new RegExp(text, 'm');
  } catch (err) {
    r.fail(r.offsetOf(path), `${field}: not a regular expression: ${(err as Error).message}`);
  }
  return text;
}

const TO = /^(?:(?:\d{1,3}\.){3}\d{1,3}|[a-z0-9]([-a-z0-9]*[a-z0-9])?\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)?:\d{1,5}$/;

function readCheck(r: BlockReader, base: (string | number)[], kind: CheckKind, value: unknown): Check {
  const where = [...base, kind];
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return r.fail(r.keyOffset(where), `${kind}: expected a mapping of fields (${[...SPEC[kind].required, ...SPEC[kind].optional].join(', ')})`);
  }
  const f = value as Fields;
  for (const key of Object.keys(f)) {
    if (!SPEC[kind].required.includes(key) && !SPEC[kind].optional.includes(key)) {
      r.fail(r.offsetOf([...where, key]), `${kind}.${key}: unknown field (${kind} takes ${[...SPEC[kind].required, ...SPEC[kind].optional].join(', ')})`);
    }
  }
  for (const key of SPEC[kind].required) {
    if (f[key] === undefined || f[key] === null) r.fail(r.keyOffset(where), `${kind}.${key}: required`);
  }
  const at = (k: string): (string | number)[] => [...where, k];
  const opt = <T>(k: string, read: (p: (string | number)[], v: unknown, field: string) => T): T | undefined =>
    f[k] === undefined || f[k] === null ? undefined : read(at(k), f[k], `${kind}.${k}`);
  const s = (p: (string | number)[], v: unknown, field: string): string => str(r, p, v, field);
  switch (kind) {
    case 'flow': {
      const to = opt('to', s);
      if (to !== undefined && !TO.test(to)) r.fail(r.offsetOf(at('to')), `flow.to: expected ADDRESS:PORT, :PORT or SERVICE.NAMESPACE:PORT, got ${to}`);
      if (Object.keys(f).length === 0) r.fail(r.keyOffset(where), 'flow: name at least one field to match or expect');
      return {
        kind,
        pod: opt('pod', s),
        namespace: opt('namespace', s),
        direction: opt('direction', (p, v, n) => oneOf(r, p, v, n, ['outbound', 'inbound'] as const)),
        to,
        verdict: opt('verdict', (p, v, n) => oneOf(r, p, v, n, ['intercepted', 'bypassed', 'blocked'] as const)),
        rule: opt('rule', s),
        listener: opt('listener', s),
        cluster: opt('cluster', s),
        responseCode: opt('responseCode', (p, v, n) => int(r, p, v, n)),
        responseFlags: opt('responseFlags', s),
      };
    }
    case 'counter': {
      const rule = s(at('rule'), f.rule, 'counter.rule');
      const chain = s(at('chain'), f.chain, 'counter.chain');
      if (!rule.startsWith(`-A ${chain} `)) r.fail(r.offsetOf(at('rule')), `counter.rule: expected "-A ${chain} …" as iptables-save prints it, got ${rule}`);
      const increased = f.increased ?? true;
      if (typeof increased !== 'boolean') r.fail(r.offsetOf(at('increased')), `counter.increased: expected true or false, got ${JSON.stringify(increased)}`);
      return {
        kind,
        pod: s(at('pod'), f.pod, 'counter.pod'),
        namespace: opt('namespace', s),
        table: opt('table', (p, v, n) => oneOf(r, p, v, n, ['nat', 'filter', 'mangle', 'raw'] as const)) ?? 'nat',
        chain,
        rule,
        increased,
      };
    }
    case 'command': {
      if (f.expect === undefined && f.exitCode === undefined) r.fail(r.keyOffset(where), 'command: needs expect (a regular expression) or exitCode');
      return {
        kind,
        pod: s(at('pod'), f.pod, 'command.pod'),
        namespace: opt('namespace', s),
        container: opt('container', s),
        run: s(at('run'), f.run, 'command.run'),
        user: opt('user', s),
        expect: opt('expect', (p, v, n) => regex(r, p, v, n)),
        exitCode: opt('exitCode', (p, v, n) => int(r, p, v, n)),
      };
    }
    case 'object':
    case 'file': {
      const jsonpath = s(at('jsonpath'), f.jsonpath, `${kind}.jsonpath`);
      if (!/^\{\.[^{}]*\}$/.test(jsonpath)) r.fail(r.offsetOf(at('jsonpath')), `${kind}.jsonpath: expected kubectl's form {.a.b[0].c}, got ${jsonpath}`);
      if (f.equals === undefined && f.matches === undefined) r.fail(r.keyOffset(where), `${kind}: needs equals or matches`);
      const expected = { equals: opt('equals', s), matches: opt('matches', (p, v, n) => regex(r, p, v, n)) };
      if (kind === 'object' && (f.name === undefined) === (f.selector === undefined)) r.fail(r.keyOffset(where), 'object: needs name or selector (one of them)');
      return kind === 'object'
        ? { kind, resource: s(at('kind'), f.kind, 'object.kind'), name: opt('name', s), selector: opt('selector', s), namespace: opt('namespace', s), jsonpath, ...expected }
        : { kind, path: s(at('path'), f.path, 'file.path'), objectKind: opt('kind', s), jsonpath, ...expected };
    }
    case 'accessLog':
      return {
        kind,
        pod: s(at('pod'), f.pod, 'accessLog.pod'),
        namespace: opt('namespace', s),
        expect: regex(r, at('expect'), f.expect, 'accessLog.expect'),
      };
  }
}

/**
 * The checks of one ```check block: a mapping with one or more check kinds (all must hold), or a
 * list of such mappings. `at` is the line of the block's opening fence.
 */
export function parseCheckBlock(text: string, at: SourcePos): Check[] {
  const r: BlockReader = new BlockReader(text, at);
  const value = r.doc.toJS() as unknown;
  const entries: { base: (string | number)[]; map: unknown }[] = Array.isArray(value)
    ? value.map((map, i) => ({ base: [i], map }))
    : [{ base: [], map: value }];
  if (isSeq(r.doc.contents) && entries.length === 0) r.fail(0, 'check: an empty list checks nothing');
  const out: Check[] = [];
  for (const { base, map } of entries) {
    if (!map || typeof map !== 'object' || Array.isArray(map)) {
      r.fail(r.offsetOf(base), `check: expected a mapping of ${KINDS.join(', ')}`);
    }
    const keys = Object.keys(map);
    if (keys.length === 0) r.fail(r.offsetOf(base), `check: empty; expected one of ${KINDS.join(', ')}`);
    for (const key of keys) {
      if (!KINDS.includes(key as CheckKind)) r.fail(r.offsetOf([...base, key]), `check: unknown kind ${key} (expected ${KINDS.join(', ')})`);
      out.push(readCheck(r, base, key as CheckKind, (map as Fields)[key]));
    }
  }
  return out;
}

/** A ```state block: `apply: [files in the workshop folder]` and `run: shell commands`. */
export function parseStateBlock(text: string, at: SourcePos): { apply: string[]; run: string | null } {
  const r: BlockReader = new BlockReader(text, at);
  const value = (r.doc.toJS() ?? {}) as unknown;
  if (typeof value !== 'object' || Array.isArray(value)) r.fail(0, 'state: expected a mapping with apply and/or run');
  const f = value as Fields;
  for (const key of Object.keys(f)) if (key !== 'apply' && key !== 'run') r.fail(r.offsetOf([key]), `state.${key}: unknown field (state takes apply, run)`);
  const apply = f.apply ?? [];
  if (!Array.isArray(apply)) r.fail(r.offsetOf(['apply']), 'state.apply: expected a list of files in the workshop folder');
  const files = apply.map((v, i) => str(r, ['apply', i], v, `state.apply[${i}]`));
  const run = f.run === undefined || f.run === null ? null : str(r, ['run'], f.run, 'state.run');
  return { apply: files, run };
}
