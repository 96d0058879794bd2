// Object metadata checked as apimachinery checks it (label keys and values, annotation keys), with its messages.
import type { KubeObject } from './objects';
import { invalidValue, type FieldProblem } from './status';

const NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const NAME_PART_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const SUBDOMAIN_MSG =
  "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

/**
 * apimachinery's IsQualifiedName: `[prefix/]name`. As there, the pattern is checked even after an
 * empty or too long part, so one bad key can carry two messages.
 */
export function qualifiedNameProblems(key: string): string[] {
  const parts = key.split('/');
  if (parts.length > 2) {
    return ["a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"];
  }
  const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]];
  const out: string[] = [];
  if (prefix !== undefined) {
    if (prefix.length === 0) out.push('prefix part must be non-empty');
    else {
      if (prefix.length > 253) out.push('prefix part must be no more than 253 characters');
      if (!DNS1123_SUBDOMAIN.test(prefix)) out.push(SUBDOMAIN_MSG);
    }
  }
  if (name.length === 0) out.push('name part must be non-empty');
  else if (name.length > 63) out.push('name part must be no more than 63 characters');
  if (!NAME_PART.test(name)) out.push(NAME_PART_MSG);
  return out;
}

/** apimachinery's IsValidLabelValue: both the length and the pattern are reported. */
export function labelValueProblems(value: string): string[] {
  const out: string[] = [];
  if (value.length > 63) out.push('must be no more than 63 characters');
  if (!LABEL_VALUE.test(value)) out.push(LABEL_VALUE_MSG);
  return out;
}

export function metadataProblems(obj: KubeObject): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const [key, value] of Object.entries(obj.metadata.labels ?? {})) {
    for (const msg of qualifiedNameProblems(key)) problems.push(invalidValue('metadata.labels', key, msg));
    if (typeof value !== 'string') problems.push(invalidValue('metadata.labels', value, 'must be a string'));
    else for (const msg of labelValueProblems(value)) problems.push(invalidValue('metadata.labels', value, msg));
  }
  for (const key of Object.keys(obj.metadata.annotations ?? {})) {
    for (const msg of qualifiedNameProblems(key.toLowerCase())) problems.push(invalidValue('metadata.annotations', key, msg));
  }
  return problems;
}
