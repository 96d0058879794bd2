// Label and field selectors in the API's query syntax (`app=x,tier!=db,env in (a,b),!canary`), and LabelSelector objects.
import { badRequest } from './status';
import { isRecord } from './objects';

type Requirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | '!exists' };

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
  return terms.map((t) => t.trim()).filter(Boolean);
}

const KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

function parseRequirement(term: string, whole: string): Requirement {
  const fail = (why: string) => badRequest(`unable to parse requirement: ${why}`);
  let m = /^!\s*(\S+)$/.exec(term);
  if (m) return { key: checkKey(m[1], whole), op: '!exists' };
  m = /^(\S+?)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  if (m) {
    const values = m[3].split(',').map((v) => v.trim()).filter((v) => v !== '');
    return { key: checkKey(m[1], whole), op: m[2] as 'in' | 'notin', values };
  }
  m = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
  if (m) {
    const key = checkKey(m[1], whole);
    return m[2] === '!=' ? { key, op: 'notin', values: [m[3]] } : { key, op: 'in', values: [m[3]] };
  }
  if (/^\S+$/.test(term)) return { key: checkKey(term, whole), op: 'exists' };
  throw fail(`found '${term}', expected: in, notin, =, ==, !=, gt, lt`);
}

function checkKey(key: string, whole: string): string {
  if (!KEY.test(key)) {
    throw badRequest(`unable to parse requirement: invalid label key "${key}" in selector "${whole}"`);
  }
  return key;
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
      }
    });
}

/** `?labelSelector=` text → a matcher; a syntax error is a 400 as the API server gives. */
export function parseLabelSelector(text: string | null | undefined): Matcher {
  if (!text) return everything;
  return matcherOf(splitTerms(text).map((t) => parseRequirement(t, text)));
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

/** A LabelSelector printed as metav1.FormatLabelSelector does (`app=x,env in (a,b)`). */
export function formatLabelSelector(selector: unknown): string {
  if (!isRecord(selector)) return '<none>';
  const parts: string[] = [];
  const matchLabels = isRecord(selector.matchLabels) ? selector.matchLabels : {};
  for (const key of Object.keys(matchLabels).sort()) parts.push(`${key}=${String(matchLabels[key])}`);
  for (const e of Array.isArray(selector.matchExpressions) ? selector.matchExpressions : []) {
    if (!isRecord(e)) continue;
    const values = (Array.isArray(e.values) ? e.values.map(String) : []).sort().join(',');
    const op = { In: 'in', NotIn: 'notin', Exists: '', DoesNotExist: '!' }[String(e.operator)] ?? String(e.operator);
    if (e.operator === 'Exists') parts.push(String(e.key));
    else if (e.operator === 'DoesNotExist') parts.push(`!${String(e.key)}`);
    else parts.push(`${String(e.key)} ${op} (${values})`);
  }
  return parts.length ? parts.join(',') : '<none>';
}

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

/** `?fieldSelector=metadata.name=x,status.phase!=Running`. */
export function parseFieldSelector(text: string | null | undefined): FieldRequirement[] {
  if (!text) return [];
  return text.split(',').map((term) => {
    const m = /^([^=!]+)(==|=|!=)(.*)$/.exec(term.trim());
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
    return { field: m[1].trim(), op: m[2] === '!=' ? '!=' : '=', value: m[3].trim() };
  });
}
