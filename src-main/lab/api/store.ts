// The lab's object store (etcd's role): objects by resource and key, one resourceVersion counter, watch events, and a file on disk.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { clone, kubeTime, newUid, objectKey, type KubeObject } from './objects';
import { alreadyExists, conflict, gone, notFound, type ResourceName } from './status';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: WatchEventType;
  /** `group/resource`, e.g. `/pods`, `apps/deployments`. */
  resource: string;
  object: KubeObject;
  resourceVersion: number;
}

export type StoreListener = (event: StoreEvent) => void;

/** How many events a watch may resume from; older resourceVersions get 410 Gone, as from etcd after compaction. */
const HISTORY = 5_000;
const SAVE_DELAY_MS = 200;

export const resourceId = (r: ResourceName): string => `${r.group}/${r.resource}`;

interface SavedStore {
  resourceVersion: number;
  objects: Record<string, KubeObject[]>;
}

export class ObjectStore {
  private rv = 0;
  private readonly byResource = new Map<string, Map<string, KubeObject>>();
  private readonly history: StoreEvent[] = [];
  private readonly listeners = new Set<StoreListener>();
  private saveTimer: NodeJS.Timeout | undefined;

  /** `file`: where the objects are kept between runs of the host (undefined: memory only). */
  constructor(private readonly file?: string) {
    if (file && existsSync(file)) this.load(file);
  }

  get resourceVersion(): number {
    return this.rv;
  }

  private bucket(resource: string): Map<string, KubeObject> {
    let bucket = this.byResource.get(resource);
    if (!bucket) this.byResource.set(resource, (bucket = new Map()));
    return bucket;
  }

  get(r: ResourceName, namespace: string | undefined, name: string): KubeObject | undefined {
    const found = this.byResource.get(resourceId(r))?.get(objectKey(namespace, name));
    return found ? clone(found) : undefined;
  }

  mustGet(r: ResourceName, namespace: string | undefined, name: string): KubeObject {
    const found = this.get(r, namespace, name);
    if (!found) throw notFound(r, name);
    return found;
  }

  /** Every object of a resource (in one namespace when given), sorted as etcd's keys are: namespace, then name. */
  list(r: ResourceName, namespace?: string): KubeObject[] {
    const bucket = this.byResource.get(resourceId(r));
    if (!bucket) return [];
    const out: KubeObject[] = [];
    for (const obj of bucket.values()) {
      if (namespace === undefined || obj.metadata.namespace === namespace) out.push(clone(obj));
    }
    return out.sort((a, b) => objectKey(a.metadata.namespace, a.metadata.name).localeCompare(objectKey(b.metadata.namespace, b.metadata.name)));
  }

  /**
   * Stores a new object: uid, creationTimestamp, generation and resourceVersion are the store's to
   * set (`opts.uid`: the uid a pod `up` started already runs with, for the seed only).
   */
  create(r: ResourceName, obj: KubeObject, opts: { uid?: string } = {}): KubeObject {
    const bucket = this.bucket(resourceId(r));
    const key = objectKey(obj.metadata.namespace, obj.metadata.name);
    if (bucket.has(key)) throw alreadyExists(r, obj.metadata.name);
    const stored = clone(obj);
    stored.metadata.uid = opts.uid ?? newUid();
    stored.metadata.creationTimestamp = kubeTime();
    stored.metadata.generation = 1;
    stored.metadata.resourceVersion = String(++this.rv);
    bucket.set(key, stored);
    this.record('ADDED', resourceId(r), stored);
    return clone(stored);
  }

  /**
   * Replaces an object. With `metadata.resourceVersion` set, it must be the stored one (optimistic
   * concurrency, as kubectl's update); `specChanged` bumps `metadata.generation`.
   */
  update(r: ResourceName, obj: KubeObject, opts: { specChanged?: boolean } = {}): KubeObject {
    const bucket = this.bucket(resourceId(r));
    const key = objectKey(obj.metadata.namespace, obj.metadata.name);
    const current = bucket.get(key);
    if (!current) throw notFound(r, obj.metadata.name);
    const expected = obj.metadata.resourceVersion;
    if (expected && expected !== current.metadata.resourceVersion) {
      throw conflict(r, obj.metadata.name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    const stored = clone(obj);
    stored.metadata.uid = current.metadata.uid;
    stored.metadata.creationTimestamp = current.metadata.creationTimestamp;
    stored.metadata.generation = (current.metadata.generation ?? 1) + (opts.specChanged ? 1 : 0);
    stored.metadata.resourceVersion = String(++this.rv);
    bucket.set(key, stored);
    this.record('MODIFIED', resourceId(r), stored);
    return clone(stored);
  }

  delete(r: ResourceName, namespace: string | undefined, name: string): KubeObject {
    const bucket = this.bucket(resourceId(r));
    const key = objectKey(namespace, name);
    const current = bucket.get(key);
    if (!current) throw notFound(r, name);
    bucket.delete(key);
    // The DELETED event carries the object at a resourceVersion of its own, as etcd's delete revision.
    const last = { ...current, metadata: { ...current.metadata, resourceVersion: String(++this.rv) } };
    this.record('DELETED', resourceId(r), last);
    return clone(last);
  }

  /** Every later change, to every resource (controllers, the window). Returns a dispose function. */
  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Changes to one resource since `fromVersion` (exclusive), then every later one. A version older
   * than the kept history is 410 Gone, as kube-apiserver answers after etcd compaction.
   */
  watch(r: ResourceName, fromVersion: number | undefined, listener: StoreListener): () => void {
    const id = resourceId(r);
    if (fromVersion !== undefined && fromVersion < this.rv) {
      const oldest = this.history[0]?.resourceVersion ?? this.rv + 1;
      if (fromVersion < oldest - 1) throw gone(`too old resource version: ${fromVersion} (${oldest - 1})`);
      for (const event of this.history) {
        if (event.resource === id && event.resourceVersion > fromVersion) listener({ ...event, object: clone(event.object) });
      }
    }
    return this.subscribe((event) => {
      if (event.resource === id) listener(event);
    });
  }

  private record(type: WatchEventType, resource: string, object: KubeObject): void {
    const event: StoreEvent = { type, resource, object, resourceVersion: this.rv };
    this.history.push(event);
    if (this.history.length > HISTORY) this.history.splice(0, this.history.length - HISTORY);
    this.scheduleSave();
    for (const listener of [...this.listeners]) {
      try {
        listener({ ...event, object: clone(object) });
      } catch (err) {
        // One listener's failure must not stop the others, nor the write that triggered them.
        process.emitWarning(`store listener failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  private scheduleSave(): void {
    if (!this.file || this.saveTimer) return;
    this.saveTimer = setTimeout(() => this.flush(), SAVE_DELAY_MS);
    this.saveTimer.unref?.();
  }

  /** Writes the objects to disk now (the host calls it before it exits). */
  flush(): void {
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    if (!this.file) return;
    const saved: SavedStore = { resourceVersion: this.rv, objects: {} };
    for (const [resource, bucket] of this.byResource) saved.objects[resource] = [...bucket.values()];
    mkdirSync(dirname(this.file), { recursive: true });
    // Write then rename: a host killed mid-write leaves the previous file, never half of one.
    writeFileSync(`${this.file}.tmp`, JSON.stringify(saved));
    renameSync(`${this.file}.tmp`, this.file);
  }

  private load(file: string): void {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as SavedStore;
    this.rv = saved.resourceVersion;
    for (const [resource, objects] of Object.entries(saved.objects)) {
      const bucket = this.bucket(resource);
      for (const obj of objects) bucket.set(objectKey(obj.metadata.namespace, obj.metadata.name), obj);
    }
  }
}
