// Which changes an update may make to a running pod's spec, as kube-apiserver's ValidatePodUpdate decides it: images, a shorter activeDeadlineSeconds, added tolerations.
import { isRecord } from './objects';
import { forbiddenField, invalidValue, required, type FieldProblem } from './status';

type Spec = Record<string, unknown>;

/** The message kube-apiserver (1.27 on) gives, before its diff of the two specs. */
export const POD_UPDATE_FORBIDDEN =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

const MAX_INT32 = 2147483647;

const containers = (spec: Spec, list: string): Record<string, unknown>[] => (Array.isArray(spec[list]) ? (spec[list] as unknown[]).map((c) => (isRecord(c) ? c : {})) : []);
const isSet = (v: unknown): boolean => v !== undefined && v !== null;

/**
 * apimachinery's Semantic.DeepEqual treats a nil and an empty list or map alike; in JSON that is
 * an absent field, null, [] or {}. This drops them all, so the comparison below does the same.
 */
function normal(value: unknown): unknown {
  if (Array.isArray(value)) return value.length ? value.map(normal) : undefined;
  if (!isRecord(value)) return value ?? undefined;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = normal(value[key]);
    if (v !== undefined) out[key] = v;
  }
  return Object.keys(out).length ? out : undefined;
}

/** The changed leaves, `- path: old` / `+ path: new`, standing in for the cmp.Diff the server appends. */
function diff(a: unknown, b: unknown, path: string, out: string[]): void {
  if (JSON.stringify(a) === JSON.stringify(b)) return;
  if (isRecord(a) && isRecord(b)) {
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])]) diff(a[key], b[key], `${path}.${key}`, out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((item, i) => diff(item, b[i], `${path}[${i}]`, out));
    return;
  }
  if (a !== undefined) out.push(`- ${path}: ${JSON.stringify(a)}`);
  if (b !== undefined) out.push(`+ ${path}: ${JSON.stringify(b)}`);
}

const withoutSeconds = (t: unknown): string => JSON.stringify(normal(isRecord(t) ? { ...t, tolerationSeconds: undefined } : t));

/** validateOnlyAddedTolerations: every existing toleration is still there (its tolerationSeconds may change). */
function onlyAddedTolerations(next: unknown, old: unknown): FieldProblem[] {
  const now = (Array.isArray(next) ? next : []).map(withoutSeconds);
  for (const t of Array.isArray(old) ? old : []) {
    if (!now.includes(withoutSeconds(t))) return [forbiddenField('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds')];
  }
  return [];
}

/** The problems of changing a pod's spec from `old` to `next`, in ValidatePodUpdate's order; none when the update is allowed. */
export function podUpdateProblems(next: Spec, old: Spec): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const list of ['containers', 'initContainers']) {
    const now = containers(next, list);
    if (now.length !== containers(old, list).length) return [...problems, forbiddenField(`spec.${list}`, 'pod updates may not add or remove containers')];
    now.forEach((c, i) => {
      const image = c.image;
      if (typeof image !== 'string' || image === '') problems.push(required(`spec.${list}[${i}].image`));
      else if (image.trim() !== image) problems.push(invalidValue(`spec.${list}[${i}].image`, image, 'must not have leading or trailing whitespace'));
    });
  }

  // activeDeadlineSeconds may be set, or lowered; never raised or removed.
  const deadline = next.activeDeadlineSeconds;
  const before = old.activeDeadlineSeconds;
  if (isSet(deadline)) {
    if (typeof deadline !== 'number' || deadline < 0 || deadline > MAX_INT32) {
      return [...problems, invalidValue('spec.activeDeadlineSeconds', deadline, `must be between 0 and ${MAX_INT32}, inclusive`)];
    }
    if (typeof before === 'number' && before < deadline) return [...problems, invalidValue('spec.activeDeadlineSeconds', deadline, 'must be less than or equal to previous value')];
  } else if (isSet(before)) {
    problems.push(invalidValue('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
  }

  problems.push(...onlyAddedTolerations(next.tolerations, old.tolerations));

  // What may change takes the old value; anything else still different is forbidden.
  const munged: Spec = { ...next, activeDeadlineSeconds: before, tolerations: old.tolerations, ephemeralContainers: old.ephemeralContainers };
  for (const list of ['containers', 'initContainers']) {
    const was = containers(old, list);
    if (Array.isArray(next[list])) munged[list] = containers(next, list).map((c, i) => ({ ...c, image: was[i].image }));
  }
  const grace = old.terminationGracePeriodSeconds;
  if (typeof grace === 'number' && grace < 0 && next.terminationGracePeriodSeconds === 1) munged.terminationGracePeriodSeconds = grace;
  const a = normal(old);
  const b = normal(munged);
  if (JSON.stringify(a) !== JSON.stringify(b)) {
    const lines: string[] = [];
    diff(a, b, 'spec', lines);
    problems.push(forbiddenField('spec', `${POD_UPDATE_FORBIDDEN}\n${lines.join('\n')}`));
  }
  return problems;
}
