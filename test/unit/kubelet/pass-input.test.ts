// The kubelet runs a pass only for changes that can change what runs, and keeps the planned lab while its inputs stay the same.
import { beforeAll, describe, expect, it } from 'vitest';
import { K } from '../../../src-main/lab/api/kinds';
import type { KubeObject } from '../../../src-main/lab/api/objects';
import { seedStore } from '../../../src-main/lab/api/seed';
import { ObjectStore } from '../../../src-main/lab/api/store';
import { DesiredLabCache } from '../../../src-main/lab/kubelet/desired';
import { passInput } from '../../../src-main/lab/kubelet/pass-input';
import { prepareLab, type PreparedLab } from '../../../src-main/lab/session/prepare';

const PODS = '/pods';
let prepared: PreparedLab;
let store: ObjectStore;

beforeAll(async () => {
  prepared = await prepareLab('interception');
  store = new ObjectStore();
  seedStore(store, { prepared, documents: prepared.documents, caCert: 'CA PEM', kubernetesVersion: 'v1.33.1', now: new Date('2026-12-07T10:00:00Z') });
});

const firstPod = (): KubeObject => store.list(K.pods)[0];
const withStatus = (p: KubeObject, status: Record<string, unknown>): KubeObject => ({ ...p, status: { ...(p.status as Record<string, unknown>), ...status } });
const ready = (ok: boolean) => [{ type: 'Ready', status: ok ? 'True' : 'False' }];

describe('what a kubelet pass reads of an object', () => {
  it('is the same when only restart counts, container states or the resourceVersion changed', () => {
    const p = withStatus(firstPod(), { conditions: ready(true) });
    const later = withStatus({ ...p, metadata: { ...p.metadata, resourceVersion: '999' } }, { containerStatuses: [{ name: 'x', restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } }], conditions: ready(true) });
    expect(passInput(PODS, later)).toBe(passInput(PODS, p));
  });

  it('differs when the pod becomes ready or not, gets an address, is deleted or changes its labels', () => {
    const p = withStatus(firstPod(), { conditions: ready(true) });
    expect(passInput(PODS, withStatus(p, { conditions: ready(false) }))).not.toBe(passInput(PODS, p));
    expect(passInput(PODS, withStatus(p, { podIP: '10.1.2.3' }))).not.toBe(passInput(PODS, p));
    expect(passInput(PODS, { ...p, metadata: { ...p.metadata, deletionTimestamp: '2026-12-07T10:00:00Z' } })).not.toBe(passInput(PODS, p));
    expect(passInput(PODS, { ...p, metadata: { ...p.metadata, labels: { app: 'other' } } })).not.toBe(passInput(PODS, p));
  });
});

describe('the planned lab between passes', () => {
  it('is planned once while only status changes, and again when a spec changes', () => {
    const cache = new DesiredLabCache();
    const first = cache.get(store, prepared.plan.lab, prepared.file);
    const p = firstPod();
    store.update(K.pods, withStatus(p, { containerStatuses: [{ name: 'x', restartCount: 1 }] }));
    expect(cache.get(store, prepared.plan.lab, prepared.file)).toBe(first);
    expect(cache.plans).toBe(1);
    const current = firstPod();
    store.update(K.pods, { ...current, metadata: { ...current.metadata, labels: { ...current.metadata.labels, extra: 'yes' } } });
    const again = cache.get(store, prepared.plan.lab, prepared.file);
    expect(again).not.toBe(first);
    expect(cache.plans).toBe(2);
  });
});
