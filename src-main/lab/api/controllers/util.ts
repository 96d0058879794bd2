// Helpers the ReplicaSet and Deployment controllers share, after kubernetes/pkg/controller (controller_utils.go, controller_ref_manager.go, hash).
import { randomInt } from 'node:crypto';
import { clone, controllerOf, isRecord, ownerRef, type KubeObject } from '../objects';
import { labelSelectorMatcher } from '../selectors';
import type { KindDescriptor } from '../kinds';
import type { ObjectStore } from '../store';

export const rec = (v: unknown): Record<string, unknown> => (isRecord(v) ? v : {});
export const int = (v: unknown, fallback = 0): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
export const specOf = (obj: KubeObject): Record<string, unknown> => rec(obj.spec);
export const statusOf = (obj: KubeObject): Record<string, unknown> => rec(obj.status);

/** `spec.replicas`, which the API server defaults to 1. */
export const replicasOf = (obj: KubeObject): number => int(specOf(obj).replicas, 1);

/** apps/v1's label that tells a Deployment's ReplicaSets (and their pods) apart. */
export const POD_TEMPLATE_HASH = 'pod-template-hash';

/** The pod's Ready condition (podutil.IsPodReady). */
export function podReady(pod: KubeObject): boolean {
  const conditions = statusOf(pod).conditions;
  return Array.isArray(conditions) && conditions.some((c) => isRecord(c) && c.type === 'Ready' && c.status === 'True');
}

/** When the pod last became Ready (the condition's lastTransitionTime), 0 when unknown. */
export function podReadySince(pod: KubeObject): number {
  const conditions = statusOf(pod).conditions;
  const ready = Array.isArray(conditions) ? conditions.find((c) => isRecord(c) && c.type === 'Ready') : undefined;
  return isRecord(ready) && typeof ready.lastTransitionTime === 'string' ? Date.parse(ready.lastTransitionTime) || 0 : 0;
}

/** controller.IsPodActive: not being deleted, not finished. */
export function podActive(pod: KubeObject): boolean {
  const phase = statusOf(pod).phase;
  return !pod.metadata.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed';
}

/**
 * podutil.IsPodAvailable: Ready, and Ready for longer than minReadySeconds (a pod whose Ready
 * condition has no transition time counts only when minReadySeconds is 0).
 */
export function podAvailable(pod: KubeObject, minReadySeconds = 0, now = Date.now()): boolean {
  if (!podReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const since = podReadySince(pod);
  return since > 0 && since + minReadySeconds * 1000 < now;
}

/** How long until the first Ready pod not yet available becomes available; undefined when none waits. */
export function untilAvailable(pods: KubeObject[], minReadySeconds: number, now = Date.now()): number | undefined {
  if (minReadySeconds <= 0) return undefined;
  const waits = pods.filter((p) => podReady(p) && podReadySince(p) > 0 && !podAvailable(p, minReadySeconds, now)).map((p) => podReadySince(p) + minReadySeconds * 1000 - now);
  return waits.length ? Math.max(0, Math.min(...waits)) : undefined;
}

export function selectorMatches(owner: KubeObject, obj: KubeObject): boolean {
  const selector = specOf(owner).selector;
  // An empty or missing selector selects nothing for a controller (apps/v1 requires one).
  if (!isRecord(selector) || (!isRecord(selector.matchLabels) && !Array.isArray(selector.matchExpressions))) return false;
  return labelSelectorMatcher(selector)(obj.metadata.labels ?? {});
}

export const ownedBy = (obj: KubeObject, owner: KubeObject): boolean => {
  const ref = controllerOf(obj);
  return ref !== undefined && ref.uid === owner.metadata.uid;
};

/** The object without its references to one owner; no `ownerReferences` at all when none is left (omitempty). */
export function withoutOwner(obj: KubeObject, uid: string | undefined): KubeObject {
  const { ownerReferences, ...meta } = obj.metadata;
  const left = (ownerReferences ?? []).filter((r) => r.uid !== uid);
  return { ...obj, metadata: { ...meta, ...(left.length ? { ownerReferences: left } : {}) } as KubeObject['metadata'] };
}

/**
 * ControllerRefManager.Claim: the objects this owner controls. An orphan that matches the selector
 * is adopted, one it controls that no longer matches is released, as Kubernetes does; nothing is
 * adopted while the owner is being deleted. Writes go straight to the store (metadata only).
 */
export function claim(store: ObjectStore, kind: KindDescriptor, owner: KubeObject, candidates: KubeObject[]): KubeObject[] {
  const mine: KubeObject[] = [];
  for (const obj of candidates) {
    const ref = controllerOf(obj);
    const matches = selectorMatches(owner, obj);
    if (ref) {
      if (ref.uid !== owner.metadata.uid) continue;
      if (matches) {
        mine.push(obj);
        continue;
      }
      if (obj.metadata.deletionTimestamp) continue;
      store.update(kind, withoutOwner(obj, owner.metadata.uid));
      continue;
    }
    if (!matches || obj.metadata.deletionTimestamp || owner.metadata.deletionTimestamp) continue;
    const adopted = store.update(kind, { ...obj, metadata: { ...obj.metadata, ownerReferences: [...(obj.metadata.ownerReferences ?? []), ownerRef(owner)] } });
    mine.push(adopted);
  }
  return mine;
}

/** rand.SafeEncodeString's alphabet: no vowels, no look-alikes, so no words and no ambiguity. */
export const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** names.SimpleNameGenerator: at most 58 characters of the base, then five random safe characters. */
export function generatedName(base: string, taken: (name: string) => boolean): string {
  const prefix = base.length > 58 ? base.slice(0, 58) : base;
  for (;;) {
    let suffix = '';
    for (let i = 0; i < 5; i++) suffix += SAFE_ALPHABET[randomInt(SAFE_ALPHABET.length)];
    if (!taken(prefix + suffix)) return prefix + suffix;
  }
}

/** JSON with object keys sorted, so equal objects give equal text whatever order their fields were written in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isRecord(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * controller.ComputeHash: FNV-32a over the pod template, then the collision count as 8
 * little-endian bytes when set, the decimal sum run through rand.SafeEncodeString. Kubernetes
 * hashes the Go struct as spew prints it (hashutil.DeepHashObject), which JavaScript cannot
 * reproduce byte for byte; the lab hashes the template's canonical JSON instead. The result has
 * Kubernetes' shape (up to 10 characters of the safe alphabet) and the same properties: equal
 * templates give equal hashes, and a collision count moves the hash.
 */
export function computeHash(template: unknown, collisionCount?: number): string {
  let hash = 0x811c9dc5;
  const feed = (bytes: Uint8Array) => {
    for (const b of bytes) {
      hash ^= b;
      hash = Math.imul(hash, 0x01000193) >>> 0;
    }
  };
  feed(Buffer.from(canonical(template), 'utf8'));
  if (collisionCount !== undefined) {
    const bytes = Buffer.alloc(8);
    bytes.writeUInt32LE(collisionCount >>> 0, 0);
    feed(bytes);
  }
  return [...String(hash >>> 0)].map((c) => SAFE_ALPHABET[c.charCodeAt(0) % SAFE_ALPHABET.length]).join('');
}

/** A template without what apimachinery's semantic DeepEqual ignores: nil and empty maps and slices are equal. */
function normalized(value: unknown): unknown {
  if (Array.isArray(value)) return value.length ? value.map(normalized) : undefined;
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const n = normalized(v);
      if (n !== undefined && n !== null) out[k] = n;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return value;
}

/** deploymentutil.EqualIgnoreHash: two pod templates equal but for the pod-template-hash label. */
export function equalIgnoreHash(a: unknown, b: unknown): boolean {
  const strip = (t: unknown) => {
    const copy = clone(rec(t));
    const meta = rec(copy.metadata);
    if (isRecord(meta.labels)) delete meta.labels[POD_TEMPLATE_HASH];
    return canonical(normalized(copy) ?? {});
  };
  return strip(a) === strip(b);
}

/** ReplicaSetsByCreationTimestamp: oldest first, the name breaking ties. */
export function byCreation(a: KubeObject, b: KubeObject): number {
  const ta = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
  if (ta !== tb) return ta - tb;
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}

/** JSON with zero-valued counters dropped, as Go's `omitempty` writes a status. */
export function omitZero(status: Record<string, unknown>, keep: string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(status)) {
    if (v === undefined || ((v === 0 || (Array.isArray(v) && v.length === 0)) && !keep.includes(k))) continue;
    out[k] = v;
  }
  return out;
}

export const sameJson = (a: unknown, b: unknown): boolean => canonical(a ?? {}) === canonical(b ?? {});
