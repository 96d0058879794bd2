// Watch as `kubectl get -w` reads it, over the store: the initial ADDED events, resuming from a
// resourceVersion, objects that start or stop matching a selector (ADDED/DELETED, as the
// apiserver's watch cache turns them), 410 before the response starts, and Table events.
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { K } from '../../../src-main/lab/api/kinds';
import type { KubeObject } from '../../../src-main/lab/api/objects';
import { selectorFilter } from '../../../src-main/lab/api/resource-handler';
import { ApiError } from '../../../src-main/lab/api/status';
import { ObjectStore } from '../../../src-main/lab/api/store';
import { serveWatch } from '../../../src-main/lab/api/watch';

/** A response that keeps what was written: only what serveWatch uses of ServerResponse. */
class FakeResponse extends EventEmitter {
  status = 0;
  headers: Record<string, string> = {};
  lines: string[] = [];
  writableEnded = false;
  writeHead(status: number, headers: Record<string, string>) {
    this.status = status;
    this.headers = headers;
  }
  flushHeaders() {}
  write(chunk: string) {
    this.lines.push(...chunk.split('\n').filter(Boolean));
  }
  end() {
    this.writableEnded = true;
  }
  events(): { type: string; object: Record<string, unknown> }[] {
    return this.lines.map((l) => JSON.parse(l) as { type: string; object: Record<string, unknown> });
  }
}

// Every watch is closed after its test: serveWatch's timeout timer would otherwise outlive it.
const open: (() => void)[] = [];
afterEach(() => {
  for (const close of open.splice(0)) close();
});

function watch(store: ObjectStore, url: string, accept = 'application/json') {
  const u = new URL(url, 'https://127.0.0.1');
  const req = Object.assign(new EventEmitter(), { headers: { accept } }) as unknown as IncomingMessage;
  const res = new FakeResponse();
  const namespace = u.searchParams.get('ns') ?? undefined;
  serveWatch(store, K.pods, 'v1', namespace, undefined, req, res as unknown as ServerResponse, u.searchParams, selectorFilter(K.pods, u.searchParams));
  const close = () => req.emit('close');
  open.push(close);
  return { res, close };
}

const pod = (name: string, labels: Record<string, string> = {}, namespace = 'default'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels },
  spec: { containers: [{ name: 'app' }] },
  status: { phase: 'Running' },
});

const names = (res: FakeResponse) => res.events().map((e) => `${e.type} ${(e.object.metadata as { name: string }).name}`);

describe('serveWatch', () => {
  it('without a resourceVersion: ADDED for what exists, then every change, as apiVersion/kind v1 Pod', () => {
    const store = new ObjectStore();
    store.create(K.pods, pod('a'));
    store.create(K.pods, pod('x', {}, 'other'));
    const { res, close } = watch(store, '/?ns=default');
    expect(res.status).toBe(200);
    expect(res.headers['Content-Type']).toBe('application/json');
    const b = store.create(K.pods, pod('b'));
    store.update(K.pods, { ...b, metadata: { ...b.metadata, labels: { v: '2' } } });
    store.delete(K.pods, 'default', 'a');
    close();
    store.create(K.pods, pod('after-close'));
    expect(names(res)).toEqual(['ADDED a', 'ADDED b', 'MODIFIED b', 'DELETED a']);
    expect(res.events()[0].object).toMatchObject({ apiVersion: 'v1', kind: 'Pod' });
    expect(res.writableEnded).toBe(true);
  });

  it('from a resourceVersion: only what changed after it, MODIFIED for an object it already had', () => {
    const store = new ObjectStore();
    const a = store.create(K.pods, pod('a'));
    const { res } = watch(store, `/?resourceVersion=${store.resourceVersion}`);
    store.update(K.pods, { ...a, metadata: { ...a.metadata, labels: { v: '2' } } });
    expect(names(res)).toEqual(['MODIFIED a']);
  });

  it('an object that starts or stops matching the label selector is ADDED or DELETED for this watch', () => {
    const store = new ObjectStore();
    const a = store.create(K.pods, pod('a', { app: 'reviews' }));
    const b = store.create(K.pods, pod('b', { app: 'ratings' }));
    const { res } = watch(store, '/?labelSelector=app%3Dreviews');
    const moved = store.update(K.pods, { ...a, metadata: { ...a.metadata, labels: { app: 'ratings' } } });
    store.update(K.pods, { ...b, metadata: { ...b.metadata, labels: { app: 'reviews' } } });
    store.update(K.pods, { ...moved, metadata: { ...moved.metadata, labels: { app: 'other' } } });
    store.delete(K.pods, 'default', 'b');
    expect(names(res)).toEqual(['ADDED a', 'DELETED a', 'ADDED b', 'DELETED b']);
  });

  it('filters by field selector (kubectl get pod NAME -w)', () => {
    const store = new ObjectStore();
    store.create(K.pods, pod('a'));
    store.create(K.pods, pod('b'));
    const { res } = watch(store, '/?fieldSelector=metadata.name%3Db');
    store.create(K.pods, pod('c'));
    expect(names(res)).toEqual(['ADDED b']);
  });

  it('refuses an expired or unreadable resourceVersion before it starts the response', () => {
    const store = new ObjectStore();
    for (let i = 0; i < 5003; i++) store.create(K.pods, pod(`p${i}`));
    const expired = (() => {
      try {
        watch(store, '/?resourceVersion=1');
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(expired).toBeInstanceOf(ApiError);
    expect((expired as ApiError).code).toBe(410);
    expect(() => watch(store, '/?resourceVersion=abc')).toThrow(/invalid resource version: abc/);
  });

  it('as Table events: column definitions in the first event only, a row per event', () => {
    const store = new ObjectStore();
    store.create(K.pods, pod('a'));
    const { res } = watch(store, '/', 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json');
    store.create(K.pods, pod('b'));
    const events = res.events();
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'ADDED']);
    expect(events[0].object.kind).toBe('Table');
    expect(events[0].object.columnDefinitions).toBeDefined();
    expect(events[1].object.columnDefinitions).toBeUndefined();
    expect((events[1].object.rows as { cells: unknown[] }[])[0].cells[0]).toBe('b');
  });
});

describe('selectorFilter (list and watch queries)', () => {
  const running = { ...pod('run', { app: 'reviews' }), spec: { nodeName: 'lab', containers: [] }, status: { phase: 'Running' } };
  const pending = { ...pod('pend', { app: 'reviews' }), status: { phase: 'Pending' } };

  it('ANDs labels and the pod field selectors kubectl uses', () => {
    const q = (s: string) => selectorFilter(K.pods, new URLSearchParams(s));
    expect(q('fieldSelector=status.phase!%3DRunning')(pending)).toBe(true);
    expect(q('fieldSelector=status.phase!%3DRunning')(running)).toBe(false);
    expect(q('fieldSelector=spec.nodeName%3Dlab&labelSelector=app%3Dreviews')(running)).toBe(true);
    expect(q('fieldSelector=metadata.namespace%3Ddefault,metadata.name%3Drun')(running)).toBe(true);
    expect(q('labelSelector=app%3Dratings')(running)).toBe(false);
  });

  it('answers 400 "field label not supported" for a field the kind does not index, as kube-apiserver does', () => {
    let caught: unknown;
    try {
      selectorFilter(K.pods, new URLSearchParams('fieldSelector=spec.containers%3Dx'));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ApiError);
    expect((caught as ApiError).code).toBe(400);
    expect((caught as ApiError).message).toBe('field label not supported: spec.containers');
  });

  it('finds events by involvedObject, as kubectl describe asks for them', () => {
    const event: KubeObject = { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'run', namespace: 'default', uid: 'u1' } };
    const q = selectorFilter(K.events, new URLSearchParams('fieldSelector=involvedObject.name%3Drun,involvedObject.namespace%3Ddefault,involvedObject.kind%3DPod,involvedObject.uid%3Du1'));
    expect(q(event)).toBe(true);
    expect(selectorFilter(K.events, new URLSearchParams('fieldSelector=involvedObject.name%3Dother'))(event)).toBe(false);
  });
});
