// The kubelet's prober manager: a worker per container probe, run every periodSeconds; readiness feeds the pod's status, liveness and startup failures restart the container, failures are Unhealthy events.
import type Docker from 'dockerode';
import { K } from '../api/kinds';
import { isRecord, type KubeObject } from '../api/objects';
import { podEvent, recordEvent } from '../api/pod-events';
import type { ContainerFacts, ProbesOf } from '../api/pod-status';
import type { ObjectStore } from '../api/store';
import { podKey } from './pod-runtime';
import { runProbe } from './probe-run';
import { PROBE_TYPES, probeSpecOf, ProbeWorker, type ProbeType } from './probe-worker';

export interface ProberOptions {
  docker: Docker;
  store: ObjectStore;
  node: () => string;
  log: (message: string) => void;
  /** Asks for the pods' status to be read again (a container's readiness or start changed). */
  resync: () => void;
}

interface Entry {
  worker: ProbeWorker;
  word: string;
  pod: KubeObject;
  container: Record<string, unknown>;
  facts?: ContainerFacts;
  timer?: NodeJS.Timeout;
  inFlight: boolean;
  /** The container whose first readiness probe was already brought forward. */
  triggeredFor?: string;
}

const list = (value: unknown): Record<string, unknown>[] => (Array.isArray(value) ? value.filter(isRecord) : []);

/** The containers the kubelet probes: app containers and restartable init containers (native sidecars). */
function probedContainers(spec: Record<string, unknown>): Record<string, unknown>[] {
  return [...list(spec.containers), ...list(spec.initContainers).filter((c) => c.restartPolicy === 'Always')];
}

export class Prober {
  private readonly entries = new Map<string, Entry>();
  private stopped = false;

  constructor(private readonly opts: ProberOptions) {}

  private id(uid: string, container: string, type: ProbeType): string {
    return `${uid}/${container}/${type}`;
  }

  /** The engine's containers as the host just read them: workers are added for new pods' probes and dropped for pods gone. */
  observe(facts: Map<string, ContainerFacts[]>): void {
    if (this.stopped) return;
    const live = new Set<string>();
    for (const pod of this.opts.store.list(K.pods)) {
      const uid = pod.metadata.uid;
      if (!uid) continue;
      const spec = isRecord(pod.spec) ? pod.spec : {};
      const byName = new Map((facts.get(podKey(pod.metadata.namespace, pod.metadata.name)) ?? []).map((f) => [f.name, f]));
      for (const container of probedContainers(spec)) {
        const name = String(container.name);
        for (const [type, field, word] of PROBE_TYPES) {
          const probe = probeSpecOf(container, field);
          // A pod being deleted keeps its readiness probe; liveness and startup stop (they would only restart what goes).
          if (!probe || (pod.metadata.deletionTimestamp && type !== 'readiness')) continue;
          const id = this.id(uid, name, type);
          live.add(id);
          let entry = this.entries.get(id);
          if (!entry) {
            entry = { worker: new ProbeWorker(type, probe), word, pod, container, inFlight: false };
            this.entries.set(id, entry);
            this.loop(id, entry);
          }
          entry.pod = pod;
          entry.facts = byName.get(name);
        }
      }
    }
    for (const [id, entry] of this.entries) {
      if (live.has(id)) continue;
      clearTimeout(entry.timer);
      this.entries.delete(id);
    }
  }

  /** Whether the container has started: its startup probe succeeded, or it has none. */
  private started(uid: string, name: string): boolean {
    const startup = this.entries.get(this.id(uid, name, 'startup'));
    return !startup || startup.worker.resultFor(startup.facts?.containerId) === 'success';
  }

  /**
   * The container's started and ready flags (prober_manager's UpdatePodStatus), or undefined when
   * it has no probes. A started container whose readiness probe has not passed yet gets that probe
   * run now, once per container, rather than a period later.
   */
  readonly statusOf: ProbesOf = (pod, name) => {
    const uid = pod.metadata.uid ?? '';
    const readiness = this.entries.get(this.id(uid, name, 'readiness'));
    const startup = this.entries.get(this.id(uid, name, 'startup'));
    if (!readiness && !startup && !this.entries.has(this.id(uid, name, 'liveness'))) return undefined;
    const started = this.started(uid, name);
    const ready = started && (!readiness || readiness.worker.resultFor(readiness.facts?.containerId) === 'success');
    const current = readiness?.facts;
    if (readiness && started && !ready && current?.running && readiness.triggeredFor !== current.containerId) {
      readiness.triggeredFor = current.containerId;
      // Not before initialDelaySeconds: the probe would be skipped and wait a whole period.
      const since = current.startedAt ? Date.parse(current.startedAt) : Date.now();
      const wait = Math.max(0, since + readiness.worker.spec.initialDelaySeconds * 1000 - Date.now());
      setTimeout(() => void this.probe(this.id(uid, name, 'readiness'), readiness), wait).unref?.();
    }
    return { started, ready };
  };

  /** The worker's ticker: a probe now, then every periodSeconds. */
  private loop(id: string, entry: Entry): void {
    const tick = (): void => {
      if (this.stopped || this.entries.get(id) !== entry) return;
      void this.probe(id, entry);
      entry.timer = setTimeout(tick, entry.worker.spec.periodSeconds * 1000);
      entry.timer.unref?.();
    };
    tick();
  }

  private async probe(id: string, entry: Entry): Promise<void> {
    const { worker, pod } = entry;
    const f = entry.facts;
    const uid = pod.metadata.uid ?? '';
    const name = String(entry.container.name);
    const podIp = isRecord(pod.status) && typeof pod.status.podIP === 'string' ? pod.status.podIP : undefined;
    if (entry.inFlight || !f || !podIp) return;
    const probed = { containerId: f.containerId, running: f.running, startedAt: f.startedAt ? Date.parse(f.startedAt) : Date.now(), started: this.started(uid, name) };
    const before = worker.held;
    if (!worker.tick(probed, Date.now())) {
      if (worker.held !== before) this.opts.resync();
      return;
    }
    entry.inFlight = true;
    try {
      const outcome = await runProbe(worker.spec.action, {
        podIp,
        ports: list(entry.container.ports),
        timeoutSeconds: worker.spec.timeoutSeconds,
        userAgent: `kube-probe/${this.kubeletMinor()}`,
        docker: this.opts.docker,
        containerId: f.containerId,
      });
      // The container was replaced while the probe ran: its result belongs to no one.
      if (this.stopped || this.entries.get(id) !== entry || entry.facts?.containerId !== f.containerId) return;
      const fieldPath = `spec.${list(isRecord(pod.spec) ? pod.spec.containers : []).some((c) => c.name === name) ? 'containers' : 'initContainers'}{${name}}`;
      if (outcome.result === 'failure') {
        recordEvent(this.opts.store, podEvent(pod, this.opts.node(), { reason: 'Unhealthy', type: 'Warning', fieldPath, message: `${entry.word} probe failed: ${outcome.output}` }));
      }
      const changed = worker.record(outcome.result);
      if (!changed) return;
      this.opts.log(`pod ${pod.metadata.namespace}/${pod.metadata.name}: ${worker.type} probe of ${name}: ${changed}`);
      if (worker.type !== 'readiness' && changed === 'failure') await this.kill(pod, name, f, worker.type, fieldPath, worker.spec.terminationGracePeriodSeconds);
      this.opts.resync();
    } finally {
      entry.inFlight = false;
    }
  }

  /** kuberuntime kills a container that failed its liveness or startup probe; the pod's restartPolicy then decides its restart. */
  private async kill(pod: KubeObject, name: string, f: ContainerFacts, type: ProbeType, fieldPath: string, probeGrace: number | undefined): Promise<void> {
    const spec = isRecord(pod.spec) ? pod.spec : {};
    const grace = probeGrace ?? (typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : 30);
    recordEvent(this.opts.store, podEvent(pod, this.opts.node(), { reason: 'Killing', fieldPath, message: `Container ${name} failed ${type} probe, will be restarted` }));
    try {
      await this.opts.docker.getContainer(f.containerId.replace(/^docker:\/\//, '')).stop({ t: grace });
    } catch (err) {
      this.opts.log(`pod ${pod.metadata.namespace}/${pod.metadata.name}: stopping ${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** `1.29` from the node's kubeletVersion, for the probes' User-Agent. */
  private kubeletMinor(): string {
    const status = this.opts.store.list(K.nodes)[0]?.status;
    const version = isRecord(status) && isRecord(status.nodeInfo) ? String(status.nodeInfo.kubeletVersion ?? '') : '';
    return /^v?(\d+\.\d+)/.exec(version)?.[1] ?? '1.0';
  }

  stop(): void {
    this.stopped = true;
    for (const entry of this.entries.values()) clearTimeout(entry.timer);
    this.entries.clear();
  }
}
