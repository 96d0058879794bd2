// Kubernetes' own syntax rules (names, labels, ports) and a reader that reports at node positions.
import { posAt, type Problems } from './errors';
import type { IgnoredItem, SourceRef } from './types';

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** RFC 1123 label: namespaces, container names, service port names. */
export function dnsLabelError(s: string): string | undefined {
  if (s.length > 63) return 'must be no more than 63 characters';
  if (!DNS1123_LABEL.test(s)) {
    return "must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
  }
  return undefined;
}

/** RFC 1035 label: Service names (they become DNS names starting with a letter). */
export function dns1035Error(s: string): string | undefined {
  if (s.length > 63) return 'must be no more than 63 characters';
  if (!DNS1035_LABEL.test(s)) {
    return "must consist of lower case alphanumeric characters or '-', start with a letter, and end with an alphanumeric character";
  }
  return undefined;
}

/** RFC 1123 subdomain: Pod and Deployment names. */
export function dnsSubdomainError(s: string): string | undefined {
  if (s.length > 253) return 'must be no more than 253 characters';
  if (!s.split('.').every((l) => DNS1123_LABEL.test(l))) {
    return "must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
  }
  return undefined;
}

/** IANA_SVC_NAME: container port names and named targetPorts. */
export function portNameError(s: string): string | undefined {
  if (s.length > 15) return 'must be no more than 15 characters';
  if (!/^[-a-z0-9]+$/.test(s)) return "must contain only lower case alphanumeric characters or '-'";
  if (!/[a-z]/.test(s)) return 'must contain at least one letter';
  if (s.includes('--')) return "must not contain consecutive hyphens ('--')";
  if (s.startsWith('-') || s.endsWith('-')) return "must not begin or end with a hyphen ('-')";
  return undefined;
}

/** Label and annotation keys: `[prefix/]name`. */
export function qualifiedNameError(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const [prefix, name] = slash === -1 ? ['', key] : [key.slice(0, slash), key.slice(slash + 1)];
  if (slash !== -1 && (prefix === '' || dnsSubdomainError(prefix))) return 'has an invalid prefix';
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    return "must be 63 characters or less, made of alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric";
  }
  return undefined;
}

export function labelValueError(v: string): string | undefined {
  if (v === '') return undefined;
  if (v.length > 63 || !QUALIFIED_NAME.test(v)) {
    return "must be empty or 63 characters or less, made of alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric";
  }
  return undefined;
}

export function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return (
    parts.length === 4 && parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255)
  );
}

export function isCidr(s: string): boolean {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s);
  if (!m) return false;
  if (isIPv4(m[1])) return Number(m[2]) <= 32;
  return /^[0-9a-fA-F:.]+$/.test(m[1]) && m[1].includes(':') && Number(m[2]) <= 128;
}

/** `spec.containers[0].ports[1].name` from `/spec/containers/0/ports/1/name`. */
export function displayPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(seg)) out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/**
 * What the lab does with a field: `model` it, accept it `silent`ly (it has no effect that can be
 * seen in a one-node lab, or it is written by the cluster), or a reason it is ignored. A function
 * decides by value (e.g. list `hostNetwork` only when it is true).
 */
export type FieldRule =
  'model' | 'silent' | string | ((value: unknown) => 'model' | 'silent' | string);

/** Reads one object: typed access, errors at node positions, ignored fields. */
export class Reader {
  constructor(
    readonly src: SourceRef,
    readonly problems: Problems,
    readonly ignored: IgnoredItem[],
    /** `Pod default/x`. */
    readonly object: string,
  ) {}

  error(path: string, detail: string, atKey = false): void {
    this.problems.add(posAt(this.src, path, atKey), detail);
  }

  ignore(path: string, reason: string): void {
    const field = displayPath(path);
    this.ignored.push({
      ...posAt(this.src, path, true),
      object: this.object,
      field,
      reason,
      message: `field ${field} of ${this.object} ignored: ${reason}`,
    });
  }

  /** Applies `rules` to the keys of `obj`; unknown keys are errors, as with kubectl's strict validation. */
  fields(obj: Record<string, unknown>, path: string, rules: Record<string, FieldRule>): void {
    for (const [key, value] of Object.entries(obj)) {
      const child = `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      const rule = rules[key];
      if (rule === undefined) {
        this.error(child, `unknown field "${displayPath(child)}" in ${this.object}`, true);
        continue;
      }
      const verdict = typeof rule === 'function' ? rule(value) : rule;
      if (verdict !== 'model' && verdict !== 'silent') this.ignore(child, verdict);
    }
  }

  map(value: unknown, path: string, what: string): Record<string, unknown> | undefined {
    if (value === undefined || value === null) return undefined;
    if (isRecord(value)) return value;
    this.error(path, `${what} must be a mapping`);
    return undefined;
  }

  list(value: unknown, path: string, what: string): unknown[] {
    if (value === undefined || value === null) return [];
    if (Array.isArray(value)) return value;
    this.error(path, `${what} must be a list`);
    return [];
  }

  string(value: unknown, path: string, what: string): string | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') return value;
    this.error(path, `${what} must be a string, got ${JSON.stringify(value)}${quoteHint(value)}`);
    return undefined;
  }

  requiredString(
    obj: Record<string, unknown>,
    key: string,
    path: string,
    what: string,
  ): string | undefined {
    const child = `${path}/${key}`;
    if (obj[key] === undefined || obj[key] === null || obj[key] === '') {
      this.error(obj[key] === undefined ? path : child, `${what} is required`);
      return undefined;
    }
    return this.string(obj[key], child, what);
  }

  int(value: unknown, path: string, what: string, min: number, max: number): number | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.error(
        path,
        `${what} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`,
      );
      return undefined;
    }
    return value;
  }

  port(value: unknown, path: string, what: string): number | undefined {
    return this.int(value, path, what, 1, 65535);
  }

  stringList(value: unknown, path: string, what: string): string[] | undefined {
    if (value === undefined || value === null) return undefined;
    const out: string[] = [];
    this.list(value, path, what).forEach((v, i) => {
      const s = this.string(v, `${path}/${i}`, `${what}[${i}]`);
      if (s !== undefined) out.push(s);
    });
    return out;
  }

  /** Labels (`values` checked as label values) or annotations (any string). */
  stringMap(
    value: unknown,
    path: string,
    what: 'labels' | 'annotations' | 'selector',
  ): Record<string, string> {
    const out: Record<string, string> = {};
    const m = this.map(value, path, what);
    if (!m) return out;
    for (const [k, v] of Object.entries(m)) {
      const child = `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      const keyErr = qualifiedNameError(k);
      if (keyErr) this.error(child, `${what} key "${k}" ${keyErr}`, true);
      const s = this.string(v, child, `${what === 'annotations' ? 'annotation' : 'label'} ${k}`);
      if (s === undefined) continue;
      const valErr = what === 'annotations' ? undefined : labelValueError(s);
      if (valErr) this.error(child, `label ${k} value "${s}" ${valErr}`);
      out[k] = s;
    }
    return out;
  }
}

function quoteHint(value: unknown): string {
  return typeof value === 'boolean' || typeof value === 'number'
    ? ` (quote it: "${String(value)}")`
    : '';
}
