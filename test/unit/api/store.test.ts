// The object store in etcd's role: resourceVersions, create/update/delete with kube-apiserver's
// errors (AlreadyExists, NotFound, Conflict on a stale resourceVersion), watch from a version
// with 410 Gone past the kept history, and the objects kept in a file between runs.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { KubeObject } from '../../../src-main/lab/api/objects';
import { ApiError } from '../../../src-main/lab/api/status';
import { ObjectStore, type StoreEvent } from '../../../src-main/lab/api/store';

const pods = { group: '', resource: 'pods' };
const configmaps = { group: '', resource: 'configmaps' };
const deployments = { group: 'apps', resource: 'deployments' };

const pod = (name: string, namespace = 'default', extra: Partial<KubeObject> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace },
  spec: { containers: [{ name: 'app', image: 'app:1' }] },
  ...extra,
});

function apiError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected an ApiError');
}

const rvOf = (o: KubeObject) => Number(o.metadata.resourceVersion);

describe('create, get, list', () => {
  it('sets uid, creationTimestamp, generation and a resourceVersion that only grows', () => {
    const store = new ObjectStore();
    const a = store.create(pods, pod('a'));
    const b = store.create(configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' } });
    expect(a.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(a.metadata.generation).toBe(1);
    expect(rvOf(b)).toBeGreaterThan(rvOf(a));
    expect(store.resourceVersion).toBe(rvOf(b));
    expect(b.metadata.uid).not.toBe(a.metadata.uid);
  });

  it('refuses a second object with the same name as kube-apiserver does (409 AlreadyExists)', () => {
    const store = new ObjectStore();
    store.create(pods, pod('a'));
    const err = apiError(() => store.create(pods, pod('a')));
    expect(err.code).toBe(409);
    expect(err.reason).toBe('AlreadyExists');
    expect(err.message).toBe('pods "a" already exists');
    // Same name, other namespace: another object.
    expect(() => store.create(pods, pod('a', 'istio-system'))).not.toThrow();
  });

  it('hands out copies: changing one does not change the stored object', () => {
    const store = new ObjectStore();
    const created = store.create(pods, pod('a'));
    created.metadata.labels = { changed: 'yes' };
    const got = store.mustGet(pods, 'default', 'a');
    got.metadata.name = 'other';
    expect(store.get(pods, 'default', 'a')?.metadata.labels).toBeUndefined();
    expect(store.get(pods, 'default', 'a')?.metadata.name).toBe('a');
  });

  it('answers 404 NotFound naming the group-qualified resource', () => {
    const store = new ObjectStore();
    expect(store.get(pods, 'default', 'nope')).toBeUndefined();
    const err = apiError(() => store.mustGet(deployments, 'default', 'nope'));
    expect(err.code).toBe(404);
    expect(err.message).toBe('deployments.apps "nope" not found');
    expect(err.toStatus().details).toEqual({ name: 'nope', group: 'apps', kind: 'deployments' });
  });

  it('lists by namespace then name, in one namespace when asked', () => {
    const store = new ObjectStore();
    for (const [ns, name] of [['istio-system', 'b'], ['default', 'z'], ['default', 'a'], ['istio-system', 'a']]) store.create(pods, pod(name, ns));
    expect(store.list(pods).map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual(['default/a', 'default/z', 'istio-system/a', 'istio-system/b']);
    expect(store.list(pods, 'istio-system').map((p) => p.metadata.name)).toEqual(['a', 'b']);
    expect(store.list(configmaps)).toEqual([]);
  });
});

describe('update and delete', () => {
  it('keeps uid and creationTimestamp, moves resourceVersion, and generation only when the spec changed', () => {
    const store = new ObjectStore();
    const created = store.create(pods, pod('a'));
    const relabelled = store.update(pods, { ...created, metadata: { ...created.metadata, labels: { x: 'y' } } });
    expect(relabelled.metadata.uid).toBe(created.metadata.uid);
    expect(relabelled.metadata.creationTimestamp).toBe(created.metadata.creationTimestamp);
    expect(rvOf(relabelled)).toBeGreaterThan(rvOf(created));
    expect(relabelled.metadata.generation).toBe(1);
    const respecced = store.update(pods, { ...relabelled, spec: { containers: [] } }, { specChanged: true });
    expect(respecced.metadata.generation).toBe(2);
  });

  it('refuses a stale resourceVersion with 409 Conflict and kube-apiserver\'s words, and keeps the stored object', () => {
    const store = new ObjectStore();
    const created = store.create(pods, pod('a'));
    store.update(pods, { ...created, metadata: { ...created.metadata, labels: { first: 'writer' } } });
    const err = apiError(() => store.update(pods, { ...created, metadata: { ...created.metadata, labels: { second: 'writer' } } }));
    expect(err.code).toBe(409);
    expect(err.reason).toBe('Conflict');
    expect(err.message).toBe('Operation cannot be fulfilled on pods "a": the object has been modified; please apply your changes to the latest version and try again');
    expect(store.get(pods, 'default', 'a')?.metadata.labels).toEqual({ first: 'writer' });
  });

  // rest.BeforeUpdate: "Use the existing UID if none is provided", and creationTimestamp never changes.
  it('updates unconditionally without a resourceVersion, keeping the uid and creationTimestamp the body left out', () => {
    const store = new ObjectStore();
    const created = store.create(pods, pod('a'));
    const updated = store.update(pods, pod('a', 'default', { metadata: { name: 'a', namespace: 'default', labels: { y: '1' } } }));
    expect(updated.metadata.labels).toEqual({ y: '1' });
    expect(updated.metadata.uid).toBe(created.metadata.uid);
    expect(updated.metadata.creationTimestamp).toBe(created.metadata.creationTimestamp);
  });

  it('answers 404 for an update or delete of a missing object', () => {
    const store = new ObjectStore();
    expect(apiError(() => store.update(pods, pod('ghost'))).code).toBe(404);
    expect(apiError(() => store.delete(pods, 'default', 'ghost')).code).toBe(404);
  });

  it('deletes, returning the object at a resourceVersion of its own (etcd\'s delete revision)', () => {
    const store = new ObjectStore();
    const created = store.create(pods, pod('a'));
    const deleted = store.delete(pods, 'default', 'a');
    expect(rvOf(deleted)).toBe(rvOf(created) + 1);
    expect(store.get(pods, 'default', 'a')).toBeUndefined();
    expect(() => store.create(pods, pod('a'))).not.toThrow();
  });
});

describe('watch', () => {
  it('replays one resource\'s changes after a version, then follows live ones', () => {
    const store = new ObjectStore();
    const a = store.create(pods, pod('a'));
    store.create(configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' } });
    const b = store.create(pods, pod('b'));
    store.update(pods, { ...a, metadata: { ...a.metadata, labels: { v: '2' } } });
    const seen: StoreEvent[] = [];
    const stop = store.watch(pods, rvOf(a), (e) => seen.push(e));
    store.delete(pods, 'default', 'b');
    store.create(configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'd', namespace: 'default' } });
    stop();
    store.create(pods, pod('after-stop'));
    expect(seen.map((e) => [e.type, e.object.metadata.name])).toEqual([
      ['ADDED', 'b'],
      ['MODIFIED', 'a'],
      ['DELETED', 'b'],
    ]);
    expect(seen[0].resourceVersion).toBe(rvOf(b));
    expect(seen.every((e, i) => i === 0 || e.resourceVersion > seen[i - 1].resourceVersion)).toBe(true);
  });

  it('from the current version sends only what happens next', () => {
    const store = new ObjectStore();
    store.create(pods, pod('a'));
    const seen: string[] = [];
    store.watch(pods, store.resourceVersion, (e) => seen.push(e.object.metadata.name));
    store.create(pods, pod('b'));
    expect(seen).toEqual(['b']);
  });

  it('answers 410 Gone (reason Expired) for a version older than the kept history', () => {
    const store = new ObjectStore();
    const first = store.create(configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm-0', namespace: 'default' } });
    // The store keeps the last 5000 events, as etcd keeps revisions until compaction.
    for (let i = 1; i <= 5001; i++) store.create(configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: 'default' } });
    const err = apiError(() => store.watch(configmaps, rvOf(first), () => undefined));
    expect(err.code).toBe(410);
    expect(err.reason).toBe('Expired');
    expect(err.message).toMatch(/^too old resource version: \d+ \(\d+\)$/);
    // The oldest kept version still resumes.
    const seen: number[] = [];
    expect(() => store.watch(configmaps, store.resourceVersion - 4999, (e) => seen.push(e.resourceVersion))).not.toThrow();
    expect(seen).toHaveLength(4999);
  });

  it('one failing listener neither stops the others nor the write', () => {
    const store = new ObjectStore();
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const seen: string[] = [];
    store.subscribe(() => {
      throw new Error('boom');
    });
    store.subscribe((e) => seen.push(e.object.metadata.name));
    expect(() => store.create(pods, pod('a'))).not.toThrow();
    expect(seen).toEqual(['a']);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('boom'));
    warn.mockRestore();
  });
});

describe('the file between runs', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('writes the objects on flush and loads them with the resourceVersion, which keeps growing', () => {
    dir = mkdtempSync(join(tmpdir(), 'lab-store-'));
    const file = join(dir, 'nested', 'objects.json');
    const first = new ObjectStore(file);
    const a = first.create(pods, pod('a'));
    first.create(deployments, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'default' } });
    first.delete(pods, 'default', 'a');
    const b = first.create(pods, pod('b'));
    first.flush();
    expect(existsSync(file)).toBe(true);
    expect(existsSync(`${file}.tmp`)).toBe(false);

    const second = new ObjectStore(file);
    expect(second.resourceVersion).toBe(first.resourceVersion);
    expect(second.get(pods, 'default', 'a')).toBeUndefined();
    expect(second.get(pods, 'default', 'b')).toEqual(b);
    expect(second.list(deployments).map((d) => d.metadata.name)).toEqual(['d']);
    const c = second.create(pods, pod('c'));
    expect(rvOf(c)).toBe(first.resourceVersion + 1);
    expect(rvOf(c)).toBeGreaterThan(rvOf(a));
  });

  it('saves by itself shortly after a change', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lab-store-'));
    const file = join(dir, 'objects.json');
    const store = new ObjectStore(file);
    store.create(pods, pod('a'));
    expect(existsSync(file)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { resourceVersion: number; objects: Record<string, KubeObject[]> };
    expect(saved.resourceVersion).toBe(store.resourceVersion);
    expect(saved.objects['/pods'].map((p) => p.metadata.name)).toEqual(['a']);
  });

  it('keeps nothing on disk without a file', () => {
    const store = new ObjectStore();
    store.create(pods, pod('a'));
    expect(() => store.flush()).not.toThrow();
  });
});
