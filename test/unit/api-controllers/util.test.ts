// The controllers' arithmetic as Kubernetes does it: template hashes, template equality, surge and unavailability rounding, which pods go first, and the Scale view.
import { describe, expect, it } from 'vitest';
import { fenceposts, maxUnavailable, scaledValue } from '../../../src-main/lab/api/controllers/deployment-util';
import { podsToDelete } from '../../../src-main/lab/api/controllers/replicaset';
import { computeHash, equalIgnoreHash, podAvailable, untilAvailable } from '../../../src-main/lab/api/controllers/util';
import { K } from '../../../src-main/lab/api/kinds';
import type { KubeObject } from '../../../src-main/lab/api/objects';
import { scaleOf, writeScale } from '../../../src-main/lab/api/scale';
import { ApiError } from '../../../src-main/lab/api/status';
import { ObjectStore } from '../../../src-main/lab/api/store';
import { deployment } from './helpers';

const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'x', image: 'x' }] } };

describe('ComputeHash and EqualIgnoreHash', () => {
  it('hashes a template to at most 10 characters of the safe alphabet, the same whatever the key order, moved by the collision count', () => {
    const h = computeHash(template);
    expect(h).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    expect(computeHash({ spec: { containers: [{ image: 'x', name: 'x' }] }, metadata: { labels: { app: 'web' } } })).toBe(h);
    expect(computeHash(template, 1)).not.toBe(h);
    expect(computeHash(template, 0)).not.toBe(h);
    expect(computeHash({ ...template, spec: { containers: [{ name: 'x', image: 'y' }] } })).not.toBe(h);
  });

  it('compares templates ignoring pod-template-hash, and nil and empty maps and lists alike', () => {
    const withHash = { ...template, metadata: { labels: { app: 'web', 'pod-template-hash': 'abc' }, annotations: {} } };
    expect(equalIgnoreHash(withHash, template)).toBe(true);
    expect(equalIgnoreHash({ ...template, spec: { ...template.spec, volumes: [] } }, template)).toBe(true);
    expect(equalIgnoreHash({ ...template, metadata: { labels: { app: 'web' }, annotations: { 'kubectl.kubernetes.io/restartedAt': 'now' } } }, template)).toBe(false);
  });
});

describe('maxSurge and maxUnavailable', () => {
  it('rounds a surge percentage up and an unavailability percentage down', () => {
    expect(scaledValue('25%', 10, true)).toBe(3);
    expect(scaledValue('25%', 10, false)).toBe(2);
    expect(scaledValue('25%', 1, true)).toBe(1);
    expect(scaledValue('25%', 1, false)).toBe(0);
    expect(scaledValue(2, 10, false)).toBe(2);
    expect(() => scaledValue('x', 10, true)).toThrow(/invalid value for IntOrString/);
  });

  it('never lets both be 0 (one pod may be unavailable), and caps unavailability at the replicas', () => {
    expect(fenceposts(deployment('a', 1))).toEqual({ surge: 1, unavailable: 0 });
    expect(fenceposts(deployment('a', 2, { strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: '10%' } } }))).toEqual({ surge: 0, unavailable: 1 });
    expect(maxUnavailable(deployment('a', 2, { strategy: { rollingUpdate: { maxUnavailable: 5 } } }))).toBe(2);
    expect(maxUnavailable(deployment('a', 2, { strategy: { type: 'Recreate' } }))).toBe(0);
  });
});

describe('getPodsToDelete', () => {
  const pod = (name: string, o: { node?: string; phase?: string; ready?: string; created?: string; restarts?: number }): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, creationTimestamp: o.created ?? '2026-01-01T00:00:00Z' },
    spec: o.node ? { nodeName: o.node } : {},
    status: {
      phase: o.phase ?? 'Running',
      ...(o.ready ? { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: o.ready }] } : {}),
      containerStatuses: [{ name: 'x', restartCount: o.restarts ?? 0 }],
    },
  });

  it('unscheduled, pending, not ready, ready for less time, restarted more, newer: in that order', () => {
    const pods = [
      pod('old-ready', { node: 'n', ready: '2026-01-01T00:01:00Z' }),
      pod('new-ready', { node: 'n', ready: '2026-01-01T00:05:00Z' }),
      pod('restarting', { node: 'n', ready: '2026-01-01T00:01:00Z', restarts: 3 }),
      pod('not-ready', { node: 'n' }),
      pod('pending', { node: 'n', phase: 'Pending' }),
      pod('unscheduled', { phase: 'Pending' }),
      pod('newer-not-ready', { node: 'n', created: '2026-01-01T00:09:00Z' }),
    ];
    expect(podsToDelete(pods, pods, 6).map((p) => p.metadata.name)).toEqual(['unscheduled', 'pending', 'newer-not-ready', 'not-ready', 'new-ready', 'restarting']);
  });
});

describe('the scale subresource', () => {
  const setup = () => {
    const store = new ObjectStore();
    const d = store.create(K.deployments, { ...deployment('web', 2), status: { replicas: 2 } });
    const update = (obj: KubeObject) => Promise.resolve(store.update(K.deployments, obj, { specChanged: true }));
    return { store, d, update };
  };

  it('is autoscaling/v1 Scale with the selector as a string', () => {
    const { d } = setup();
    expect(scaleOf(d)).toEqual({
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: { name: 'web', namespace: 'default', uid: d.metadata.uid, resourceVersion: d.metadata.resourceVersion, creationTimestamp: d.metadata.creationTimestamp },
      spec: { replicas: 2 },
      status: { replicas: 2, selector: 'app=web' },
    });
  });

  it("sets spec.replicas; refuses a negative count naming the field, and a stale resourceVersion with 409", async () => {
    const { store, d, update } = setup();
    const scale = await writeScale(store, K.deployments, 'default', 'web', { spec: { replicas: 5 } }, update);
    expect(scale.spec).toEqual({ replicas: 5 });
    expect((store.get(K.deployments, 'default', 'web')!.spec as { replicas: number }).replicas).toBe(5);
    const bad = await writeScale(store, K.deployments, 'default', 'web', { spec: { replicas: -1 } }, update).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ApiError);
    expect((bad as ApiError).code).toBe(422);
    expect((bad as ApiError).message).toContain('spec.replicas: Invalid value: -1: must be greater than or equal to 0');
    const stale = await writeScale(store, K.deployments, 'default', 'web', { metadata: { resourceVersion: d.metadata.resourceVersion }, spec: { replicas: 1 } }, update).catch((e: unknown) => e);
    expect((stale as ApiError).code).toBe(409);
  });
});

describe('IsPodAvailable with minReadySeconds', () => {
  const readySince = (iso: string | undefined, status = 'True'): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    status: { conditions: [{ type: 'Ready', status, ...(iso ? { lastTransitionTime: iso } : {}) }] },
  });
  const now = Date.parse('2026-01-01T00:00:10Z');

  it('counts a pod once it has been Ready for longer than minReadySeconds', () => {
    expect(podAvailable(readySince('2026-01-01T00:00:05Z'), 0, now)).toBe(true);
    expect(podAvailable(readySince('2026-01-01T00:00:05Z'), 4, now)).toBe(true);
    expect(podAvailable(readySince('2026-01-01T00:00:05Z'), 5, now)).toBe(false);
    expect(podAvailable(readySince('2026-01-01T00:00:05Z', 'False'), 0, now)).toBe(false);
    expect(podAvailable(readySince(undefined), 1, now)).toBe(false);
    expect(podAvailable(readySince(undefined), 0, now)).toBe(true);
  });

  it('says when the next Ready pod becomes available, for the controller to look again', () => {
    const pods = [readySince('2026-01-01T00:00:08Z'), readySince('2026-01-01T00:00:09Z'), readySince('2026-01-01T00:00:01Z')];
    expect(untilAvailable(pods, 5, now)).toBe(3000);
    expect(untilAvailable(pods, 0, now)).toBeUndefined();
    expect(untilAvailable([readySince('2026-01-01T00:00:01Z')], 5, now)).toBeUndefined();
  });
});
