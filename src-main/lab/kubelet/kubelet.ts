// The lab's kubelet and endpoints controller in one loop: pods in the API become containers (and go again), Services' endpoints follow ready pods, the node and every sidecar get what changed (config-push.ts).
import type Docker from 'dockerode';
import { K } from '../api/kinds';
import { isRecord, type KubeObject } from '../api/objects';
import type { ObjectStore, StoreEvent } from '../api/store';
import { writePodCredentials } from '../api/pod-credentials';
import { LABELS } from '../docker/engine';
import { cidrRange, intToIp, ipToInt, FIRST_POD_IP, NODE_IP, POD_CIDR } from '../plan/network';
import type { PlannedPod } from '../plan/types';
import { readLabRecord, writeLabRecord, type LabRecord } from '../runtime/lab';
import { PodStarter } from '../runtime/pod';
import type { PodRun } from '../runtime/pod-run';
import { nodeConfig, podRunOf, serviceRecords, type PreparedLab } from '../session/prepare';
import { ConfigPush, onlyReadyEndpoints, syncEndpoints } from './config-push';
import { DesiredLabCache } from './desired';
import { isReady, passInput, WATCHED } from './pass-input';
import { podKey, removePod, runningPods, terminatePod } from './pod-runtime';
import { ContainerRestarter } from './container-restarts';
import type { ContainerFacts, HistoryOf, ProbesOf } from '../api/pod-status';
import { Prober } from './prober';
import { stopFinishedSandboxes } from './sandbox';
import { EphemeralContainers } from './ephemeral-containers';
import { ContainerDefinitions, killChanged } from './container-definitions';

export interface KubeletOptions {
  docker: Docker;
  lab: string;
  store: ObjectStore;
  log: (message: string) => void;
  /** The node's name, for the events the kubelet writes. */
  nodeName?: () => string;
  /** Reads the pods' status from the engine again (the host's sync), after the kubelet changed something there. */
  resync?: () => void;
}

const terminating = (pod: KubeObject): boolean => Boolean(pod.metadata.deletionTimestamp);

export class Kubelet {
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;
  /** The pod object each running pod's containers belong to, by `namespace/name`. */
  private readonly adopted = new Map<string, string>();
  private readonly starting = new Set<string>();
  private readonly ending = new Set<string>();
  /** Pods that failed to start, by uid: when they may be tried again (kubelet's back-off, from 10 s doubling to 5 min). */
  private readonly failed = new Map<string, { until: number; delayMs: number }>();
  private readonly runs = new Map<string, PodRun>();
  private readonly push: ConfigPush;
  private first = true;
  /** Each watched object's pass input as last seen, by resource and key. */
  private readonly inputs = new Map<string, string>();
  private readonly desired = new DesiredLabCache();
  private readonly definitions = new ContainerDefinitions();
  /** Passes run and skipped (for tests and the log). */
  readonly passes = { run: 0, skipped: 0 };

  private readonly restarter: ContainerRestarter;
  private readonly prober: Prober;
  private readonly ephemeral: EphemeralContainers;

  constructor(private readonly opts: KubeletOptions) {
    this.push = new ConfigPush({ docker: opts.docker, lab: opts.lab, log: (m) => this.log(m) });
    this.restarter = new ContainerRestarter({
      docker: opts.docker,
      store: opts.store,
      node: opts.nodeName ?? (() => 'node'),
      log: (m) => this.log(m),
      resync: () => this.resync(),
      settled: (key, uid) => this.owns(key, uid),
      resumeInit: (pod) => this.resumeInit(pod),
    });
    this.prober = new Prober({ docker: opts.docker, store: opts.store, node: opts.nodeName ?? (() => 'node'), log: (m) => this.log(m), resync: () => this.resync() });
    this.ephemeral = new EphemeralContainers({
      docker: opts.docker,
      lab: opts.lab,
      store: opts.store,
      node: opts.nodeName ?? (() => 'node'),
      log: (m) => this.log(m),
      resync: () => this.resync(),
      owns: (pod) => this.owns(podKey(pod.metadata.namespace, pod.metadata.name), pod.metadata.uid ?? ''),
    });
  }

  /** The engine's containers of the pod `key` are the pod object `uid`'s, started or adopted, and not ending. */
  private owns(key: string, uid: string): boolean {
    return this.adopted.get(key) === uid && !this.starting.has(key) && !this.ending.has(key);
  }

  /** What the kubelet remembers of each container (restarts, last termination, back-off), for the pods' status. */
  get historyOf(): HistoryOf {
    return this.restarter.historyOf;
  }

  /** What the probes say of each container (started, ready), for the pods' status. */
  get probesOf(): ProbesOf {
    return this.prober.statusOf;
  }

  /** The engine's containers as the host just read them: exited ones are restarted per their pod's restartPolicy; probes follow the running ones. */
  observe(facts: Map<string, ContainerFacts[]>): void {
    if (this.stopped) return;
    this.restarter.observe(facts);
    this.prober.observe(facts);
  }

  /** After the pods' status is written: a finished (Succeeded, Failed) pod's sandbox is stopped. */
  podsSynced(): void {
    if (this.stopped) return;
    const busy = (key: string): boolean => this.starting.has(key) || this.ending.has(key);
    stopFinishedSandboxes(this.opts.docker, this.opts.lab, this.opts.store, busy, (m) => this.log(m)).catch((err: unknown) => this.log(`kubelet: ${err instanceof Error ? err.message : String(err)}`));
  }

  private resync(): void {
    if (!this.stopped) this.opts.resync?.();
  }

  /** Adopts the pods `up` started, then follows the store; resolves after the first pass. */
  async start(): Promise<void> {
    this.unsubscribe = this.opts.store.subscribe((event: StoreEvent) => {
      if (!WATCHED.has(event.resource)) return;
      const id = `${event.resource}|${event.object.metadata.namespace ?? ''}/${event.object.metadata.name}`;
      if (event.type === 'DELETED') this.inputs.delete(id);
      else {
        const input = passInput(event.resource, event.object);
        if (this.inputs.get(id) === input) {
          this.passes.skipped++;
          return;
        }
        this.inputs.set(id, input);
      }
      this.schedule();
    });
    this.schedule(0);
    this.ephemeral.start();
    await this.settled();
  }

  /** Resolves once every pass scheduled so far has run (pod starts and terminations go on in the background). */
  async settled(): Promise<void> {
    for (;;) {
      const chain = this.chain;
      await chain;
      if (chain === this.chain && !this.timer) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  schedule(delayMs = 50): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.chain = this.chain.then(() => this.reconcile()).catch((err: unknown) => this.opts.log(`kubelet: ${err instanceof Error ? err.message : String(err)}`));
    }, delayMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.restarter.stop();
    this.prober.stop();
    this.ephemeral.stop();
    clearTimeout(this.timer);
    this.timer = undefined;
    this.unsubscribe?.();
    await this.chain;
  }

  private log(message: string): void {
    this.opts.log(message);
  }

  private async reconcile(): Promise<void> {
    if (this.stopped) return;
    const { docker, lab, store } = this.opts;
    const record = readLabRecord(lab);
    if (!record?.ready) return;
    this.passes.run++;
    const seen = store.resourceVersion;
    if (this.first) {
      for (const run of record.run.pods) this.runs.set(podKey(run.namespace, run.name), run);
      this.push.adopt(record);
    }
    const running = await runningPods(docker, lab);
    const pods = new Map(store.list(K.pods).map((p) => [podKey(p.metadata.namespace, p.metadata.name), p]));
    if (this.first) {
      // The pods `up` started (or a previous host adopted) belong to the objects of the same name.
      for (const key of running.keys()) {
        const pod = pods.get(key);
        if (pod?.metadata.uid) this.adopted.set(key, pod.metadata.uid);
      }
      this.first = false;
    }

    // Containers whose pod object is gone (deleted with --force, or replaced by another of its name).
    for (const [key, r] of running) {
      if (this.starting.has(key) || this.ending.has(key)) continue;
      const pod = pods.get(key);
      if (pod && this.adopted.get(key) === pod.metadata.uid) continue;
      this.log(`kubelet: removing the containers of pod ${key}: ${pod ? 'the pod was replaced' : 'the pod is gone'}`);
      await removePod(docker, lab, r.namespace, r.name);
      running.delete(key);
      this.adopted.delete(key);
      this.runs.delete(key);
    }

    for (const [key, pod] of pods) {
      if (terminating(pod) && !this.ending.has(key)) {
        this.ending.add(key);
        void this.terminate(pod, running.has(key));
      }
    }

    // A new pod gets its address before it is planned, so the plan keeps it; addresses of
    // containers still being removed are not free yet.
    const inUse = [...running.values()].map((r) => r.ip).filter((ip): ip is string => Boolean(ip));
    this.assignAddresses([...pods.values()].filter((p) => !terminating(p) && !running.has(podKey(p.metadata.namespace, p.metadata.name))), inUse);

    let desired: PreparedLab;
    try {
      desired = this.desired.get(store, lab, record.run.scenario);
    } catch (err) {
      this.log(`kubelet: the objects do not make a lab: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    const ready = new Set([...pods].filter(([, p]) => isReady(p) && !terminating(p)).map(([key]) => key));
    desired = { ...desired, plan: onlyReadyEndpoints(desired.plan, pods, ready) };

    for (const planned of desired.plan.pods) {
      const key = podKey(planned.namespace, planned.name);
      const pod = pods.get(key);
      if (!pod?.metadata.uid || terminating(pod) || running.has(key) || this.starting.has(key)) continue;
      if ((this.failed.get(pod.metadata.uid)?.until ?? 0) > Date.now()) continue;
      this.starting.add(key);
      void this.startPod(record, desired, planned, pod.metadata.uid);
    }

    this.followDefinitions(record, desired, pods);
    await this.push.push(desired, running, (key) => this.starting.has(key) || this.ending.has(key), this.runs);
    syncEndpoints(store, desired.plan);
    writeLabRecord({ ...record, run: { ...record.run, pods: [...this.runs.values()], nodeConfig: nodeConfig(desired.plan), services: serviceRecords(desired.plan), reconciledVersion: seen, configVersion: `${lab}-${this.push.version}` } });
  }

  private assignAddresses(pods: KubeObject[], inUse: string[]): void {
    const { store } = this.opts;
    const taken = new Set<string>([NODE_IP, ...inUse]);
    for (const p of store.list(K.pods)) {
      const ip = isRecord(p.status) ? p.status.podIP : undefined;
      if (typeof ip === 'string') taken.add(ip);
    }
    const { last } = cidrRange(POD_CIDR);
    let next = ipToInt(FIRST_POD_IP);
    for (const pod of pods) {
      if (isRecord(pod.status) && typeof pod.status.podIP === 'string') continue;
      while (taken.has(intToIp(next)) && next < last) next++;
      if (next >= last) {
        this.log(`kubelet: no address left in ${POD_CIDR} for pod ${pod.metadata.namespace}/${pod.metadata.name}`);
        return;
      }
      const ip = intToIp(next);
      taken.add(ip);
      const status = { ...(isRecord(pod.status) ? pod.status : {}), phase: 'Pending', hostIP: NODE_IP, hostIPs: [{ ip: NODE_IP }], podIP: ip, podIPs: [{ ip }], qosClass: 'BestEffort' };
      store.update(K.pods, { ...pod, status });
    }
  }

  /** What the pod runs, from the lab's recorded images (stand-ins named in the log), under the API object's uid. */
  private async planRun(record: LabRecord, desired: PreparedLab, planned: PlannedPod, uid: string): Promise<PodRun> {
    const images = record.run.images;
    if (!images) throw new Error('the lab was started by an older sidecar-lab that did not record its images: `sidecar-lab down` and `up` again');
    const notes: string[] = [];
    const run = await podRunOf(this.opts.docker, desired, planned, images, notes, `${this.opts.lab}-${this.push.version}`);
    run.uid = uid;
    for (const note of notes) this.log(`replaced: ${note}`);
    return run;
  }

  private async startPod(record: LabRecord, desired: PreparedLab, planned: PlannedPod, uid: string): Promise<void> {
    const { docker, lab } = this.opts;
    const key = podKey(planned.namespace, planned.name);
    try {
      const run = await this.planRun(record, desired, planned, uid);
      await writePodCredentials(lab, [run]);
      const starter = this.starter(record);
      this.adopted.set(key, uid);
      this.runs.set(key, run);
      this.push.started(key, run.proxyConfig);
      const stuck = await starter.start(run, (m) => this.log(m));
      this.failed.delete(uid);
      this.definitions.started(uid, planned);
      if (stuck) {
        // The pod stays, its failed init container kept: the restarts and their back-off follow from its exit.
        this.log(`pod ${key} not initialized: Init:Error (${stuck.container} exited ${stuck.exitCode})`);
        return;
      }
      await starter.waitReady(run, 60_000, { exitedFails: false });
      this.log(`pod ${key} ready (${run.ip}, ${run.sidecar ? 'with sidecar' : 'no sidecar'})`);
    } catch (err) {
      const delayMs = Math.min(300_000, (this.failed.get(uid)?.delayMs ?? 5_000) * 2);
      this.failed.set(uid, { until: Date.now() + delayMs, delayMs });
      this.log(`pod ${key} did not start (trying again in ${delayMs / 1000} s): ${err instanceof Error ? err.message : String(err)}`);
      // What was started goes, so the next try starts from nothing.
      await removePod(docker, lab, planned.namespace, planned.name).catch(() => undefined);
      this.adopted.delete(key);
      this.runs.delete(key);
      setTimeout(() => this.schedule(), delayMs).unref?.();
    } finally {
      this.starting.delete(key);
      this.schedule();
      this.resync();
    }
  }

  /** Running pods whose app containers' images the API changed: each such container is killed and started again from its new image. */
  private followDefinitions(record: LabRecord, desired: PreparedLab, pods: Map<string, KubeObject>): void {
    this.definitions.keepOnly(new Set([...pods.values()].map((p) => p.metadata.uid ?? '')));
    for (const planned of desired.plan.pods) {
      const key = podKey(planned.namespace, planned.name);
      const pod = pods.get(key);
      const uid = pod?.metadata.uid;
      if (!pod || !uid || terminating(pod) || !this.owns(key, uid)) continue;
      const changed = this.definitions.changed(uid, planned);
      if (!changed.length) continue;
      this.starting.add(key);
      void this.redefine(record, desired, planned, pod, changed);
    }
  }

  private async redefine(record: LabRecord, desired: PreparedLab, planned: PlannedPod, pod: KubeObject, names: string[]): Promise<void> {
    const { docker, lab, store } = this.opts;
    const key = podKey(planned.namespace, planned.name);
    const uid = pod.metadata.uid ?? '';
    try {
      const killed = await killChanged({ docker, lab, store, node: this.opts.nodeName?.() ?? 'node' }, pod, names);
      for (const k of killed) if (k.terminated) this.restarter.replaced(pod, k.name, k.terminated);
      const run = await this.planRun(record, desired, planned, uid);
      this.runs.set(key, run);
      this.definitions.started(uid, planned);
      this.log(`pod ${key}: ${names.join(', ')} definition changed; started again from ${names.map((n) => planned.containers.find((c) => c.name === n)?.spec.image).join(', ')}`);
      // A pod held at an init container starts its app containers later, from the run just set.
      if (killed.some((k) => k.terminated)) await this.starter(record).resume(run, (m) => this.log(m));
    } catch (err) {
      this.log(`pod ${key}: could not restart ${names.join(', ')} with the new image: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.starting.delete(key);
      this.schedule();
      this.resync();
    }
  }

  private starter(record: LabRecord): PodStarter {
    const { docker, lab } = this.opts;
    const images = record.run.images;
    if (!images) throw new Error('the lab was started by an older sidecar-lab that did not record its images');
    return new PodStarter(docker, images, { [LABELS.lab]: lab, [LABELS.owner]: String(record.ownerPid) }, { kubelet: true });
  }

  /** The kubelet restarts a pod's failed init container: the pod's start goes on from it, pause and all else kept. */
  private async resumeInit(pod: KubeObject): Promise<void> {
    const key = podKey(pod.metadata.namespace, pod.metadata.name);
    const run = this.runs.get(key);
    const record = readLabRecord(this.opts.lab);
    if (!run || !record || this.starting.has(key)) return;
    this.starting.add(key);
    try {
      const starter = this.starter(record);
      const stuck = await starter.resume(run, (m) => this.log(m));
      if (stuck) return;
      await starter.waitReady(run, 60_000, { exitedFails: false });
      this.log(`pod ${key} initialized and started (${run.ip})`);
    } finally {
      this.starting.delete(key);
      this.schedule();
    }
  }

  private async terminate(pod: KubeObject, hasContainers: boolean): Promise<void> {
    const { docker, lab, store } = this.opts;
    const ns = pod.metadata.namespace ?? 'default';
    const key = podKey(ns, pod.metadata.name);
    try {
      // A pod still starting finishes its start first: its containers are then all there to stop.
      while (this.starting.has(key)) await new Promise((r) => setTimeout(r, 100));
      if (hasContainers || this.adopted.has(key)) await terminatePod(docker, lab, ns, pod.metadata.name, pod.metadata.deletionGracePeriodSeconds ?? 30);
      const current = store.get(K.pods, ns, pod.metadata.name);
      if (current?.metadata.uid === pod.metadata.uid) store.delete(K.pods, ns, pod.metadata.name);
      this.log(`pod ${key} deleted`);
    } catch (err) {
      this.log(`pod ${key}: termination failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.adopted.delete(key);
      this.runs.delete(key);
      this.push.forget(key);
      this.ending.delete(key);
      this.schedule();
    }
  }
}
