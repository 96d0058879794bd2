// What the workload controllers' tests share: a pod client over the store (the kubelet's part played by hand) and manifests as kubectl sends them.
import { K } from '../../../src-main/lab/api/kinds';
import { controllerOf, kubeTime, type KubeObject } from '../../../src-main/lab/api/objects';
import type { ObjectStore } from '../../../src-main/lab/api/store';
import type { PodClient } from '../../../src-main/lab/api/controllers/types';

/**
 * Pods written straight to the store. `graceful`: a delete only sets deletionTimestamp (the
 * kubelet removes the object later, see `finishTerminating`), as the lab's graceful deletion does.
 */
export function storePods(store: ObjectStore, opts: { graceful?: boolean } = {}): PodClient & { created: string[]; deleted: string[] } {
  const created: string[] = [];
  const deleted: string[] = [];
  return {
    created,
    deleted,
    create(pod) {
      created.push(pod.metadata.name);
      return Promise.resolve(store.create(K.pods, { ...pod, status: { phase: 'Pending' } }));
    },
    delete(namespace, name) {
      deleted.push(name);
      const pod = store.get(K.pods, namespace, name);
      if (!pod) return Promise.resolve();
      if (opts.graceful) store.update(K.pods, { ...pod, metadata: { ...pod.metadata, deletionTimestamp: kubeTime(), deletionGracePeriodSeconds: 30 } });
      else store.delete(K.pods, namespace, name);
      return Promise.resolve();
    },
  };
}

/** The kubelet's part: pods running, Ready=True (all of them, or those `which` picks). */
export function markReady(store: ObjectStore, which: (pod: KubeObject) => boolean = () => true): number {
  let n = 0;
  for (const pod of store.list(K.pods)) {
    if (pod.metadata.deletionTimestamp || !which(pod)) continue;
    const conditions = (pod.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions;
    if (conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) continue;
    const now = kubeTime();
    store.update(K.pods, {
      ...pod,
      spec: { ...(pod.spec as object), nodeName: 'node' },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: now }] },
    });
    n++;
  }
  return n;
}

/** The kubelet finishing terminations: terminating pods' objects removed. */
export function finishTerminating(store: ObjectStore): void {
  for (const pod of store.list(K.pods)) if (pod.metadata.deletionTimestamp) store.delete(K.pods, pod.metadata.namespace, pod.metadata.name);
}

/** `kubectl create deployment NAME --image=IMAGE` as kubectl 1.20 sends it, with the API server's defaults. */
export function deployment(name: string, replicas = 1, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default', labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'x', image: 'x' }] } },
      ...extra,
    },
  };
}

export const podsOf = (store: ObjectStore, rs: KubeObject): KubeObject[] => store.list(K.pods).filter((p) => controllerOf(p)?.uid === rs.metadata.uid);

export const setsOf = (store: ObjectStore, name: string): KubeObject[] =>
  store.list(K.replicasets).filter((rs) => controllerOf(rs)?.name === name);
