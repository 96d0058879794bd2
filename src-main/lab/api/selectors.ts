// Label and field selectors in the API's query syntax (`app=x,tier!=db,env in (a,b),!canary`), and LabelSelector objects.
import { badRequest } from './status';
import { labelValueProblems, qualifiedNameProblems } from './meta-validation';
import { isRecord } from './objects';

type Requirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | '!exists' }
  | { key: string; op: 'gt' | 'lt'; value: number };

export type Matcher = (labels: Record<string, string>) => boolean;

const everything: Matcher = () => true;

/** Splits on commas that are not inside `( … )`. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      terms.push(text.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(text.slice(start));
  return terms.map((t) => t.trim());
}

const fail = (why: string) => badRequest(`unable to parse requirement: ${why}`);

/** Keys and values are validated as labels.NewRequirement does (IsQualifiedName, IsValidLabelValue). */
function checkKey(key: string, whole: string): string {
  const problems = qualifiedNameProblems(key);
  if (problems.length) throw fail(`invalid label key "${key}" in selector "${whole}": ${problems.join('; ')}`);
  return key;
}

function checkValue(value: string, key: string): string {
  const problems = labelValueProblems(value);
  if (problems.length) throw fail(`values[0][${key}]: Invalid value: "${value}": ${problems.join('; ')}`);
  return value;
}

function parseRequirement(term: string, whole: string): Requirement {
  // An empty term is a comma with nothing on one side (`,x`, `x,,y`, `x,`): the lexer's error.
  if (term === '') throw fail(`found ',', expected: identifier after ',' in selector "${whole}"`);
  let m = /^!\s*(\S+)$/.exec(term);
  if (m) return { key: checkKey(m[1], whole), op: '!exists' };
  m = /^(\S+?)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  if (m) {
    const key = checkKey(m[1], whole);
    // `in ()` and `in (a,)` hold the empty value, which a label may have.
    const values = m[3].split(',').map((v) => checkValue(v.trim(), key));
    return { key, op: m[2] as 'in' | 'notin', values };
  }
  m = /^([^=!<>\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
  if (m) {
    const key = checkKey(m[1], whole);
    const value = checkValue(m[3], key);
    return m[2] === '!=' ? { key, op: 'notin', values: [value] } : { key, op: 'in', values: [value] };
  }
  m = /^([^=!<>\s]+)\s*(<|>)\s*(\S*)$/.exec(term);
  if (m) {
    const key = checkKey(m[1], whole);
    if (!/^[-+]?\d+$/.test(m[3])) throw fail(`for 'Gt', 'Lt' operators, the value must be an integer`);
    return { key, op: m[2] === '>' ? 'gt' : 'lt', value: Number(m[3]) };
  }
  if (/^\S+$/.test(term)) return { key: checkKey(term, whole), op: 'exists' };
  throw fail(`found '${term}', expected: in, notin, =, ==, !=, gt, lt`);
}

function matcherOf(reqs: Requirement[]): Matcher {
  if (reqs.length === 0) return everything;
  return (labels) =>
    reqs.every((r) => {
      const has = Object.prototype.hasOwnProperty.call(labels, r.key);
      switch (r.op) {
        case 'exists':
          return has;
        case '!exists':
          return !has;
        case 'in':
          return has && r.values.includes(labels[r.key]);
        case 'notin':
          return !has || !r.values.includes(labels[r.key]);
        case 'gt':
        case 'lt': {
          // Requirement.Matches: a label that is not an integer matches neither.
          if (!has || !/^[-+]?\d+$/.test(labels[r.key])) return false;
          const n = Number(labels[r.key]);
          return r.op === 'gt' ? n > r.value : n < r.value;
        }
      }
    });
}

/** `?labelSelector=` text → a matcher; a syntax error is a 400 as the API server gives. */
export function parseLabelSelector(text: string | null | undefined): Matcher {
  if (!text || text.trim() === '') return everything;
  return matcherOf(splitTerms(text.trim()).map((t) => parseRequirement(t, text)));
}

/** A `LabelSelector` object (matchLabels, matchExpressions) → a matcher. An empty selector matches everything. */
export function labelSelectorMatcher(selector: unknown): Matcher {
  if (!isRecord(selector)) return everything;
  const reqs: Requirement[] = [];
  const matchLabels = isRecord(selector.matchLabels) ? selector.matchLabels : {};
  for (const [key, value] of Object.entries(matchLabels)) reqs.push({ key, op: 'in', values: [String(value)] });
  const expressions = Array.isArray(selector.matchExpressions) ? selector.matchExpressions : [];
  for (const e of expressions) {
    if (!isRecord(e) || typeof e.key !== 'string') continue;
    const values = Array.isArray(e.values) ? e.values.map(String) : [];
    switch (e.operator) {
      case 'In':
        reqs.push({ key: e.key, op: 'in', values });
        break;
      case 'NotIn':
        reqs.push({ key: e.key, op: 'notin', values });
        break;
      case 'Exists':
        reqs.push({ key: e.key, op: 'exists' });
        break;
      case 'DoesNotExist':
        reqs.push({ key: e.key, op: '!exists' });
        break;
    }
  }
  return matcherOf(reqs);
}

/** `a=b,c` as the API server prints a map selector (labels.FormatLabels: sorted keys, `<none>` when empty). */
export function formatLabels(labels: Record<string, string> | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) return '<none>';
  return keys.map((k) => `${k}=${labels![k]}`).join(',');
}

/** A LabelSelector printed as metav1.FormatLabelSelector does (`app=x,env in (a,b)`): requirements sorted by key, as labels.Selector.String sorts them. */
export function formatLabelSelector(selector: unknown): string {
  if (!isRecord(selector)) return '<none>';
  const parts: { key: string; text: string }[] = [];
  const matchLabels = isRecord(selector.matchLabels) ? selector.matchLabels : {};
  for (const key of Object.keys(matchLabels)) parts.push({ key, text: `${key}=${String(matchLabels[key])}` });
  for (const e of Array.isArray(selector.matchExpressions) ? selector.matchExpressions : []) {
    if (!isRecord(e)) continue;
    const key = String(e.key);
    const values = (Array.isArray(e.values) ? e.values.map(String) : []).sort().join(',');
    if (e.operator === 'Exists') parts.push({ key, text: key });
    else if (e.operator === 'DoesNotExist') parts.push({ key, text: `!${key}` });
    else parts.push({ key, text: `${key} ${e.operator === 'NotIn' ? 'notin' : e.operator === 'In' ? 'in' : String(e.operator)} (${values})` });
  }
  parts.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return parts.length ? parts.map((p) => p.text).join(',') : '<none>';
}

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

/** Splits on commas that no backslash escapes (fields.splitTerms). */
function splitFieldTerms(text: string): string[] {
  const terms: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === ',') {
      terms.push(text.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(text.slice(start));
  return terms;
}

/** fields.UnescapeValue: `\\`, `\,` and `\=` are the only escapes, and `,` or `=` must be escaped. */
function unescapeFieldValue(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\') {
      const next = value[i + 1];
      if (next !== '\\' && next !== ',' && next !== '=') {
        throw badRequest(`invalid field selector: invalid escape sequence: \\${next ?? ''}`);
      }
      out += next;
      i++;
    } else if (c === ',' || c === '=') throw badRequest(`invalid field selector: unescaped character in value: ${c}`);
    else out += c;
  }
  return out;
}

/** `?fieldSelector=metadata.name=x,status.phase!=Running`, parsed as fields.ParseSelector does (empty terms skipped). */
export function parseFieldSelector(text: string | null | undefined): FieldRequirement[] {
  if (!text) return [];
  const out: FieldRequirement[] = [];
  for (const term of splitFieldTerms(text)) {
    if (term === '') continue;
    // splitTerm: the first operator found left to right, `!=` and `==` before `=`.
    const m = /^(.*?)(!=|==|=)(.*)$/s.exec(term);
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
    out.push({ field: m[1], op: m[2] === '!=' ? '!=' : '=', value: unescapeFieldValue(m[3]) });
  }
  return out;
}
