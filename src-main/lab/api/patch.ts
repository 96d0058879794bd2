// The three patch types kubectl sends: JSON patch (RFC 6902), JSON merge patch (RFC 7386), and Kubernetes' strategic merge patch.
import { clone, isRecord } from './objects';
import { ApiError, badRequest } from './status';

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export function patchTypeOf(contentType: string | undefined): PatchType {
  const type = (contentType ?? '').split(';')[0].trim();
  switch (type) {
    case 'application/json-patch+json':
      return 'json';
    case 'application/merge-patch+json':
      return 'merge';
    case 'application/strategic-merge-patch+json':
      return 'strategic';
    case 'application/apply-patch+yaml':
      return 'apply';
    default:
      throw new ApiError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`,
      );
  }
}

/** RFC 7386: objects merge, null removes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return clone(patch);
  const out: Record<string, unknown> = isRecord(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

/** kube-apiserver answers 422 for a JSON patch that decodes but does not apply (applyJSPatch). */
const unprocessable = (message: string): ApiError => new ApiError(422, 'Invalid', message);

/** RFC 6902 §4.6: values are equal by type and content; objects member by member, in any order. */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  if (isRecord(a) && isRecord(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual(a[k], b[k]));
  }
  return a === b;
}

function pointerParts(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw unprocessable(`the JSON patch path "${pointer}" must start with /`);
  return pointer.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: unknown, parts: string[], path: string): { parent: Record<string, unknown> | unknown[]; key: string } {
  let at: unknown = doc;
  for (const p of parts.slice(0, -1)) {
    if (Array.isArray(at)) at = at[Number(p)];
    else if (isRecord(at)) at = at[p];
    else at = undefined;
    if (at === undefined) throw unprocessable(`the JSON patch path "${path}" does not exist`);
  }
  if (!Array.isArray(at) && !isRecord(at)) throw unprocessable(`the JSON patch path "${path}" does not exist`);
  return { parent: at, key: parts[parts.length - 1] };
}

function getAt(doc: unknown, path: string): unknown {
  let at = doc;
  for (const p of pointerParts(path)) {
    if (Array.isArray(at)) at = at[Number(p)];
    else if (isRecord(at)) at = at[p];
    else return undefined;
  }
  return at;
}

/** RFC 6902 operations: add, remove, replace, move, copy, test. */
export function jsonPatch(doc: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw badRequest('a JSON patch must be an array of operations');
  let out = clone(doc);
  for (const op of ops) {
    if (!isRecord(op) || typeof op.op !== 'string' || typeof op.path !== 'string') {
      throw unprocessable('each JSON patch operation needs op and path');
    }
    const path = op.path;
    const parts = pointerParts(path);
    const set = (value: unknown, insert: boolean) => {
      if (parts.length === 0) {
        out = clone(value);
        return;
      }
      const { parent, key } = parentOf(out, parts, path);
      if (Array.isArray(parent)) {
        const index = key === '-' ? parent.length : Number(key);
        if (!Number.isInteger(index) || index < 0 || index > parent.length) throw unprocessable(`the JSON patch index in "${path}" is out of range`);
        if (insert) parent.splice(index, 0, clone(value));
        else parent[index] = clone(value);
      } else parent[key] = clone(value);
    };
    const remove = (p: string[], at: string) => {
      const { parent, key } = parentOf(out, p, at);
      if (Array.isArray(parent)) {
        const index = Number(key);
        if (!/^\d+$/.test(key) || index >= parent.length) throw unprocessable(`the JSON patch index in "${at}" is out of range`);
        parent.splice(index, 1);
      } else {
        if (!(key in parent)) throw unprocessable(`the JSON patch path "${at}" does not exist`);
        delete parent[key];
      }
    };
    switch (op.op) {
      case 'add':
        set(op.value, true);
        break;
      case 'replace':
        if (getAt(out, path) === undefined) throw unprocessable(`the JSON patch path "${path}" does not exist`);
        set(op.value, false);
        break;
      case 'remove':
        remove(parts, path);
        break;
      case 'move':
      case 'copy': {
        if (typeof op.from !== 'string') throw unprocessable(`the JSON patch ${op.op} needs from`);
        const value = getAt(out, op.from);
        if (value === undefined) throw unprocessable(`the JSON patch path "${op.from}" does not exist`);
        if (op.op === 'move') remove(pointerParts(op.from), op.from);
        set(value, true);
        break;
      }
      case 'test':
        if (!jsonEqual(getAt(out, path), op.value)) {
          throw new ApiError(422, 'Invalid', `the JSON patch test failed at "${path}"`);
        }
        break;
      default:
        throw unprocessable(`unknown JSON patch operation "${op.op}"`);
    }
  }
  return out;
}

/**
 * The merge key of a list, from the Go types' `patchMergeKey` tags, by the field's name and its
 * parent's: `containers` by name, a container's `ports` by containerPort, a Service's by port.
 * `undefined`: the list is replaced as a whole. `''`: a list of scalars merged as a set.
 */
function mergeKeyOf(path: string[]): string | undefined {
  const field = path[path.length - 1];
  const parent = path[path.length - 2];
  switch (field) {
    case 'containers':
    case 'initContainers':
    case 'ephemeralContainers':
    case 'volumes':
    case 'imagePullSecrets':
    case 'env':
      return 'name';
    case 'volumeMounts':
      return 'mountPath';
    case 'volumeDevices':
      return 'devicePath';
    case 'hostAliases':
      return 'ip';
    case 'conditions':
      return 'type';
    case 'ownerReferences':
      return 'uid';
    case 'finalizers':
      return '';
    case 'ports':
      if (parent === 'containers' || parent === 'initContainers' || parent === 'ephemeralContainers') return 'containerPort';
      if (parent === 'spec') return 'port';
      return undefined;
    default:
      return undefined;
  }
}

const isDirective = (key: string): boolean => key.startsWith('$');

function strategicList(original: unknown[], patch: unknown[], path: string[]): unknown[] {
  const key = mergeKeyOf(path);
  if (key === undefined) return patch.filter((p) => !(isRecord(p) && p.$patch === 'delete')).map((p) => clone(p));
  if (patch.some((p) => isRecord(p) && p.$patch === 'replace')) {
    return patch.filter((p) => !(isRecord(p) && p.$patch === 'replace')).map((p) => clone(p));
  }
  if (key === '') {
    const out = [...original];
    for (const item of patch) if (!out.some((o) => JSON.stringify(o) === JSON.stringify(item))) out.push(clone(item));
    return out;
  }
  const out = original.map((o) => clone(o));
  for (const item of patch) {
    if (!isRecord(item)) continue;
    const index = out.findIndex((o) => isRecord(o) && o[key] === item[key]);
    if (item.$patch === 'delete') {
      if (index !== -1) out.splice(index, 1);
      continue;
    }
    if (index === -1) out.push(strategicMergePatch({}, item, path));
    else out[index] = strategicMergePatch(out[index], item, path);
  }
  return out;
}

/**
 * Orders a merged list as `$setElementOrder/<field>` says (patch.go normalizeElementOrder): the items
 * it names (maps by merge key, primitives such as `finalizers` by value) take its order, the others
 * keep their order in the live list, and the two are merged by their places in the live list.
 */
function orderBy(list: unknown[], order: unknown[], key: string | undefined, live: unknown[]): unknown[] {
  if (key === undefined) return list;
  const idOf = (item: unknown): unknown => (key === '' ? item : isRecord(item) ? item[key] : undefined);
  const indexIn = (items: unknown[], item: unknown): number => items.findIndex((o) => idOf(o) === idOf(item));
  const sortBy = (items: unknown[], by: unknown[]) => {
    const rank = (item: unknown) => {
      const i = indexIn(by, item);
      return i === -1 ? by.length : i;
    };
    return [...items].sort((a, b) => rank(a) - rank(b));
  };
  const named = sortBy(
    list.filter((item) => indexIn(order, item) !== -1),
    order,
  );
  const serverOnly = sortBy(
    list.filter((item) => indexIn(order, item) === -1),
    live,
  );
  // mergeSortedSlice: a server-only item goes first only when both are live and it was in front.
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < named.length) {
    if (j >= named.length) out.push(serverOnly[i++]);
    else if (i >= serverOnly.length) out.push(named[j++]);
    else {
      const li = indexIn(live, serverOnly[i]);
      const ri = indexIn(live, named[j]);
      if (li >= 0 && ri >= 0 && li < ri) out.push(serverOnly[i++]);
      else out.push(named[j++]);
    }
  }
  return out;
}

/**
 * Kubernetes' strategic merge patch for the built-in kinds (what `kubectl apply`, `patch`, `set`
 * and `rollout restart` send): maps merge; lists with a merge key merge by it; `$patch`,
 * `$retainKeys`, `$deleteFromPrimitiveList/…` and `$setElementOrder/…` directives.
 */
export function strategicMergePatch(original: unknown, patch: unknown, path: string[] = []): Record<string, unknown> {
  if (!isRecord(patch)) throw badRequest('a strategic merge patch must be a JSON object');
  if (patch.$patch === 'replace') {
    const rest = Object.fromEntries(Object.entries(patch).filter(([k]) => k !== '$patch'));
    return clone(rest);
  }
  if (patch.$patch === 'delete') return {};
  const out: Record<string, unknown> = isRecord(original) ? clone(original) : {};
  const retain = Array.isArray(patch.$retainKeys) ? patch.$retainKeys.map(String) : undefined;
  for (const [field, value] of Object.entries(patch)) {
    if (isDirective(field)) continue;
    const childPath = [...path, field];
    if (value === null) delete out[field];
    else if (Array.isArray(value)) out[field] = strategicList(Array.isArray(out[field]) ? (out[field] as unknown[]) : [], value, childPath);
    // `{$patch: delete}` deletes the map it stands for, as null does (strategic-merge-patch.md).
    else if (isRecord(value) && value.$patch === 'delete') delete out[field];
    else if (isRecord(value)) out[field] = strategicMergePatch(out[field], value, childPath);
    else out[field] = value;
  }
  for (const [directive, value] of Object.entries(patch)) {
    const del = /^\$deleteFromPrimitiveList\/(.+)$/.exec(directive);
    if (del && Array.isArray(value) && Array.isArray(out[del[1]])) {
      out[del[1]] = (out[del[1]] as unknown[]).filter((v) => !value.includes(v));
    }
    const order = /^\$setElementOrder\/(.+)$/.exec(directive);
    if (order && Array.isArray(value) && Array.isArray(out[order[1]])) {
      const live = isRecord(original) && Array.isArray(original[order[1]]) ? (original[order[1]] as unknown[]) : [];
      out[order[1]] = orderBy(out[order[1]] as unknown[], value, mergeKeyOf([...path, order[1]]), live);
    }
  }
  if (retain) for (const key of Object.keys(out)) if (!retain.includes(key)) delete out[key];
  return out;
}
