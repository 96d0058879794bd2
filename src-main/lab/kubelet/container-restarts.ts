// The kubelet's container restarts: an exited container of a running pod is started again in place per the pod's restartPolicy, with the crash-loop back-off, its history kept for the pod's status.
import type Docker from 'dockerode';
import { K } from '../api/kinds';
import { isRecord, type KubeObject } from '../api/objects';
import { podEvent, recordEvent } from '../api/pod-events';
import { terminatedOf, type ContainerFacts, type ContainerHistory, type HistoryOf } from '../api/pod-status';
import type { ObjectStore } from '../api/store';
import { podKey } from './pod-runtime';
import { backOffMessage, ContainerBackOff, crashLoopWaiting, formatPod, restartPolicyOf, shouldRestart } from './restarts';

export interface RestarterOptions {
  docker: Docker;
  store: ObjectStore;
  node: () => string;
  log: (message: string) => void;
  /** Asks for the pods' status to be read again (after a restart, or when a back-off ends). */
  resync: () => void;
  /**
   * Whether the containers under the pod's name are this pod object's (not those of a pod of the
   * same name deleted a moment ago) and are the kubelet's to restart now (not being started or stopped).
   */
  settled: (key: string, uid: string) => boolean;
  /**
   * Starts a pod's failed init container again and goes on with the pod's start from there
   * (the app containers were never started). Resolves to whether the container succeeded.
   */
  resumeInit: (pod: KubeObject, container: string) => Promise<void>;
}

const list = (value: unknown): Record<string, unknown>[] => (Array.isArray(value) ? value.filter(isRecord) : []);

/** Whether the pod names the container as an app container, an init container or a sidecar (restartable init). */
function kindOf(spec: Record<string, unknown>, name: string): 'app' | 'init' | 'sidecar' | undefined {
  if (list(spec.containers).some((c) => c.name === name)) return 'app';
  const init = list(spec.initContainers).find((c) => c.name === name);
  if (!init) return undefined;
  return init.restartPolicy === 'Always' ? 'sidecar' : 'init';
}

export class ContainerRestarter {
  private readonly backOff = new ContainerBackOff();
  private readonly history = new Map<string, ContainerHistory>();
  private readonly restarting = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly opts: RestarterOptions) {}

  readonly historyOf: HistoryOf = (pod, name) => this.history.get(`${pod.metadata.uid}/${name}`);

  /** The history of a container, begun from what the pod's status says (a host started again keeps the counts). */
  private entry(pod: KubeObject, name: string): ContainerHistory {
    const key = `${pod.metadata.uid}/${name}`;
    let h = this.history.get(key);
    if (!h) {
      const status = isRecord(pod.status) ? pod.status : {};
      const before = [...list(status.initContainerStatuses), ...list(status.containerStatuses)].find((s) => s.name === name);
      const last = isRecord(before?.lastState) && isRecord(before.lastState.terminated) ? before.lastState.terminated : undefined;
      h = { restartCount: Number(before?.restartCount ?? 0), ...(last ? { lastTerminated: last } : {}) };
      this.history.set(key, h);
    }
    return h;
  }

  /**
   * The engine's containers as the host just read them: each exited container the pod's policy
   * restarts is started now, or held in CrashLoopBackOff until its back-off has passed (counted
   * from its exit, as kuberuntime's doBackOff counts it).
   */
  observe(facts: Map<string, ContainerFacts[]>, now = Date.now()): void {
    const { store } = this.opts;
    const live = new Set<string>();
    for (const pod of store.list(K.pods)) {
      const uid = pod.metadata.uid;
      if (!uid) continue;
      live.add(uid);
      const key = podKey(pod.metadata.namespace, pod.metadata.name);
      if (pod.metadata.deletionTimestamp || !this.opts.settled(key, uid)) continue;
      const spec = isRecord(pod.spec) ? pod.spec : {};
      const policy = restartPolicyOf(spec);
      for (const f of facts.get(key) ?? []) {
        if (f.running || !f.finishedAt) continue;
        const kind = kindOf(spec, f.name);
        if (!kind || !shouldRestart(policy, f.exitCode ?? 0, kind)) continue;
        const id = `${uid}/${f.name}`;
        if (this.restarting.has(id)) continue;
        const finished = Date.parse(f.finishedAt);
        if (this.backOff.isInBackOffSince(id, finished, now)) {
          this.holdBack(pod, f.name, id, finished);
          continue;
        }
        this.backOff.next(id, finished, now);
        void this.restart(pod, f, kind, id);
      }
    }
    for (const id of this.history.keys()) {
      const uid = id.slice(0, id.indexOf('/'));
      if (live.has(uid)) continue;
      this.history.delete(id);
      clearTimeout(this.timers.get(id));
      this.timers.delete(id);
      this.backOff.forget(`${uid}/`);
    }
  }

  /** CrashLoopBackOff: the container waits; the BackOff event is written once per window; a timer ends the wait. */
  private holdBack(pod: KubeObject, name: string, id: string, finished: number): void {
    const h = this.entry(pod, name);
    const formatted = formatPod(pod.metadata.name, pod.metadata.namespace ?? 'default', pod.metadata.uid ?? '');
    if (!h.waiting) {
      h.waiting = crashLoopWaiting(name, this.backOff.get(id), formatted);
      const fieldPath = `spec.${kindOf(isRecord(pod.spec) ? pod.spec : {}, name) === 'app' ? 'containers' : 'initContainers'}{${name}}`;
      recordEvent(this.opts.store, podEvent(pod, this.opts.node(), { reason: 'BackOff', type: 'Warning', fieldPath, message: backOffMessage(name, formatted) }));
      this.opts.log(`pod ${pod.metadata.namespace}/${pod.metadata.name}: ${h.waiting.message}`);
    }
    if (!this.timers.has(id)) {
      const wait = Math.max(0, this.backOff.retryAt(id, finished) - Date.now()) + 50;
      const timer = setTimeout(() => {
        this.timers.delete(id);
        this.opts.resync();
      }, wait);
      timer.unref?.();
      this.timers.set(id, timer);
    }
  }

  private async restart(pod: KubeObject, f: ContainerFacts, kind: 'app' | 'init' | 'sidecar', id: string): Promise<void> {
    const h = this.entry(pod, f.name);
    const ending = terminatedOf(f);
    const pretty = `${pod.metadata.namespace}/${pod.metadata.name}`;
    this.restarting.add(id);
    try {
      this.opts.log(`pod ${pretty}: container ${f.name} exited ${f.exitCode ?? 0}; restarting it (restart ${h.restartCount + 1})`);
      h.restartCount++;
      h.lastTerminated = ending;
      h.previousRestartedAt = h.restartedAt;
      h.restartedAt = new Date().toISOString();
      delete h.waiting;
      if (kind === 'init') await this.opts.resumeInit(pod, f.name);
      else await this.opts.docker.getContainer(f.containerId.replace(/^docker:\/\//, '')).start();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const fieldPath = `spec.${kind === 'app' ? 'containers' : 'initContainers'}{${f.name}}`;
      recordEvent(this.opts.store, podEvent(pod, this.opts.node(), { reason: 'Failed', type: 'Warning', fieldPath, message: `Error: ${message}` }));
      this.opts.log(`pod ${pretty}: container ${f.name} could not be restarted: ${message}`);
    } finally {
      this.restarting.delete(id);
      this.opts.resync();
    }
  }

  /** A container the kubelet killed because its definition changed: the new one counts as a restart, the killed run is its last state. */
  replaced(pod: KubeObject, name: string, terminated: Record<string, unknown>): void {
    const h = this.entry(pod, name);
    h.restartCount++;
    h.lastTerminated = terminated;
    delete h.waiting;
  }

  stop(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
