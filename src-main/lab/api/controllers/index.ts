// The workload controllers' driver (kube-controller-manager's role): store events become queued keys, reconciled one at a time.
import { K } from '../kinds';
import { controllerOf, type KubeObject } from '../objects';
import { resourceId, type ObjectStore, type StoreEvent } from '../store';
import { syncDeployment } from './deployment';
import { syncNamespace } from './namespace';
import { collectGarbage, FOREGROUND_FINALIZER, ORPHAN_FINALIZER } from './garbage-collector';
import { syncReplicaSet } from './replicaset';
import type { ControllerLog, PodClient, WorkloadControllers } from './types';
import { selectorMatches } from './util';

export type { ControllerLog, PodClient, WorkloadControllers } from './types';
export { orphanDependents } from './garbage-collector';
export { apiPodClient, REPLICASET_CONTROLLER } from './pod-client';

const DEPLOYMENTS = resourceId(K.deployments);
const REPLICASETS = resourceId(K.replicasets);
const PODS = resourceId(K.pods);
const NAMESPACES = resourceId(K.namespaces);
const GC = 'gc';

/** How often a failed reconcile is tried again, 100 ms then doubling (the workqueue's exponential rate limiter, bounded); any later change queues it anew. */
const RETRIES = 5;
const RETRY_DELAY_MS = 100;

const keyOf = (kind: 'deployment' | 'replicaset' | 'namespace', namespace: string | undefined, name: string): string => `${kind}:${namespace ?? 'default'}/${name}`;

/**
 * Starts the Deployment and ReplicaSet controllers and the garbage collector over the store.
 * Each change queues the objects it concerns (a Deployment; a ReplicaSet and its Deployment; a
 * pod's ReplicaSet and Deployment; a deletion, the collector); each queued key is reconciled once,
 * in order, however many changes queued it. A reconcile that finds nothing to do writes nothing,
 * so its own status writes settle instead of looping.
 */
export function startWorkloadControllers(store: ObjectStore, pods: PodClient, log: ControllerLog): WorkloadControllers {
  const queue = new Set<string>();
  const attempts = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  let running = false;
  let stopped = false;
  const waiters: (() => void)[] = [];

  const idle = () => !running && queue.size === 0 && timers.size === 0;
  const wake = () => {
    if (!idle()) return;
    for (const w of waiters.splice(0)) w();
  };

  const enqueue = (key: string) => {
    if (stopped) return;
    queue.add(key);
    if (!running) {
      running = true;
      // Not from inside the store's write: the loop starts once the writer has returned.
      setImmediate(() => void drain());
    }
  };

  /** Deadline checks: one pending look per key, not waited for by settle() (they are minutes away). */
  const deadlines = new Map<string, NodeJS.Timeout>();
  const later = (key: string, ms: number) => {
    clearTimeout(deadlines.get(key));
    const timer = setTimeout(() => {
      deadlines.delete(key);
      enqueue(key);
    }, ms);
    timer.unref?.();
    deadlines.set(key, timer);
  };

  const reconcile = async (key: string): Promise<void> => {
    if (key === GC) return collectGarbage(store, pods, log);
    const [kind, ref] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
    const [namespace, name] = ref.split('/');
    if (kind === 'namespace') await syncNamespace(store, pods, log, name);
    else if (kind === 'deployment') {
      const after = syncDeployment(store, log, namespace, name);
      if (after !== undefined) later(key, after);
    } else {
      const after = await syncReplicaSet(store, pods, log, namespace, name);
      // A few milliseconds past the moment: IsPodAvailable wants the time strictly after it.
      if (after !== undefined) later(key, after + 20);
    }
  };

  const drain = async () => {
    while (!stopped && queue.size) {
      // One reconcile per turn of the event loop: the API keeps answering while the queue drains.
      await new Promise((resolve) => setImmediate(resolve));
      if (stopped || queue.size === 0) break;
      const key = queue.values().next().value as string;
      queue.delete(key);
      try {
        await reconcile(key);
        attempts.delete(key);
      } catch (err) {
        const n = (attempts.get(key) ?? 0) + 1;
        log(`${key}: ${err instanceof Error ? err.message : String(err)}${n < RETRIES ? ', trying again' : ', giving up until it changes'}`);
        if (n < RETRIES && !stopped) {
          attempts.set(key, n);
          const timer = setTimeout(() => {
            timers.delete(timer);
            enqueue(key);
            wake();
          }, RETRY_DELAY_MS * 2 ** (n - 1));
          timers.add(timer);
        } else attempts.delete(key);
      }
    }
    running = false;
    wake();
  };

  const deploymentOf = (rs: KubeObject | undefined): string | undefined => {
    const owner = rs ? controllerOf(rs) : undefined;
    return owner?.kind === 'Deployment' ? keyOf('deployment', rs!.metadata.namespace, owner.name) : undefined;
  };

  const onEvent = (event: StoreEvent) => {
    const obj = event.object;
    const ns = obj.metadata.namespace;
    // A Terminating namespace is looked at again as its content goes.
    if (event.resource === NAMESPACES && event.type !== 'DELETED') enqueue(keyOf('namespace', undefined, obj.metadata.name));
    else if (ns && event.type === 'DELETED' && store.get(K.namespaces, undefined, ns)?.metadata.deletionTimestamp) enqueue(keyOf('namespace', undefined, ns));
    if (event.resource === DEPLOYMENTS) {
      enqueue(keyOf('deployment', ns, obj.metadata.name));
      if (event.type === 'DELETED') enqueue(GC);
    } else if (event.resource === REPLICASETS) {
      enqueue(keyOf('replicaset', ns, obj.metadata.name));
      const owner = deploymentOf(obj);
      if (owner) enqueue(owner);
      // An orphan may be adopted by a Deployment that selects it.
      else for (const d of store.list(K.deployments, ns)) if (selectorMatches(d, obj)) enqueue(keyOf('deployment', ns, d.metadata.name));
      if (event.type === 'DELETED') enqueue(GC);
    } else if (event.resource === PODS) {
      const owner = controllerOf(obj);
      if (owner?.kind === 'ReplicaSet') {
        enqueue(keyOf('replicaset', ns, owner.name));
        // The Deployment watches pods too: Recreate waits for the old ones to be gone.
        const d = deploymentOf(store.get(K.replicasets, ns, owner.name));
        if (d) enqueue(d);
      } else if (!owner && event.type !== 'DELETED') {
        for (const rs of store.list(K.replicasets, ns)) if (selectorMatches(rs, obj)) enqueue(keyOf('replicaset', ns, rs.metadata.name));
      }
    } else if (event.type === 'DELETED' && event.resource !== resourceId(K.events)) {
      enqueue(GC);
    }
    // A Foreground deletion goes on as its dependents go (and starts when its owner is marked); an Orphan one starts when its owner is marked.
    const marked = obj.metadata.deletionTimestamp && obj.metadata.finalizers?.some((f) => f === FOREGROUND_FINALIZER || f === ORPHAN_FINALIZER);
    if (event.type === 'DELETED' ? event.resource === PODS : marked) enqueue(GC);
  };

  const unsubscribe = store.subscribe(onEvent);
  // The informers' initial list: everything is reconciled once at start, and orphans are collected.
  for (const d of store.list(K.deployments)) enqueue(keyOf('deployment', d.metadata.namespace, d.metadata.name));
  for (const rs of store.list(K.replicasets)) enqueue(keyOf('replicaset', rs.metadata.namespace, rs.metadata.name));
  enqueue(GC);
  for (const ns of store.list(K.namespaces)) if (ns.metadata.deletionTimestamp) enqueue(keyOf('namespace', undefined, ns.metadata.name));

  return {
    stop() {
      stopped = true;
      unsubscribe();
      queue.clear();
      for (const t of [...timers, ...deadlines.values()]) clearTimeout(t);
      timers.clear();
      deadlines.clear();
      wake();
    },
    settle() {
      if (idle()) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
}
