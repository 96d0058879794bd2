// The workload controllers started over a freshly seeded lab (what `up` serves): they adopt what is there, create and delete nothing, and only write status.
import { describe, expect, it } from 'vitest';
import { startWorkloadControllers } from '../../../src-main/lab/api/controllers';
import { K } from '../../../src-main/lab/api/kinds';
import { seedStore } from '../../../src-main/lab/api/seed';
import { ObjectStore } from '../../../src-main/lab/api/store';
import { prepareLab } from '../../../src-main/lab/session/prepare';
import { markReady, storePods } from './helpers';

describe('controllers over a seeded lab', () => {
  it('keep the seeded ReplicaSets and pods, and report the rollout done once the pods are Ready', async () => {
    const prepared = await prepareLab('interception');
    const store = new ObjectStore();
    seedStore(store, { prepared, documents: prepared.documents, caCert: 'CA PEM', kubernetesVersion: 'v1.33.1', now: new Date('2026-12-07T10:00:00Z') });
    const sets = store.list(K.replicasets).map((rs) => rs.metadata.name);
    const pods = store.list(K.pods).map((p) => p.metadata.name);
    expect(sets.length).toBeGreaterThan(0);
    const client = storePods(store);
    const controllers = startWorkloadControllers(store, client, () => undefined);
    try {
      await controllers.settle();
      markReady(store);
      await controllers.settle();
      expect(client.created).toEqual([]);
      expect(client.deleted).toEqual([]);
      expect(store.list(K.replicasets).map((rs) => rs.metadata.name)).toEqual(sets);
      expect(store.list(K.pods).map((p) => p.metadata.name)).toEqual(pods);
      for (const d of store.list(K.deployments)) {
        const status = d.status as { updatedReplicas?: number; availableReplicas?: number; conditions: { type: string; reason: string }[] };
        const replicas = (d.spec as { replicas?: number }).replicas ?? 1;
        expect([d.metadata.name, status.updatedReplicas, status.availableReplicas]).toEqual([d.metadata.name, replicas, replicas]);
        expect(status.conditions.map((c) => `${c.type}/${c.reason}`)).toEqual(['Available/MinimumReplicasAvailable', 'Progressing/NewReplicaSetAvailable']);
      }
    } finally {
      controllers.stop();
    }
  });
});
