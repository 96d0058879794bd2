// Pods' status as the kubelet reports it, read from the lab's containers: phase, conditions, and each container's state, readiness and restarts.
import type Docker from 'dockerode';
import { LABELS } from '../docker/engine';
import { labFilter } from '../runtime/docker-ops';
import { clone, isRecord, kubeTime, type KubeObject } from './objects';

/** What the lab knows of one container from the engine. */
export interface ContainerFacts {
  name: string;
  role: string;
  image: string;
  imageId: string;
  containerId: string;
  running: boolean;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  restartCount: number;
}

const time = (text: string | undefined): string | undefined =>
  text && !text.startsWith('0001-') ? kubeTime(new Date(text)) : undefined;

/** Every container of a lab's pods, by `namespace/pod`. */
export async function containerFacts(docker: Docker, lab: string): Promise<Map<string, ContainerFacts[]>> {
  const out = new Map<string, ContainerFacts[]>();
  const listed = await docker.listContainers({ all: true, filters: labFilter(lab) });
  await Promise.all(
    listed.map(async (c) => {
      const role = c.Labels[LABELS.role];
      if (!role || role === 'node' || role === 'pause' || role === 'cni') return;
      const info = await docker.getContainer(c.Id).inspect().catch(() => undefined);
      if (!info) return;
      const key = `${c.Labels[LABELS.namespace]}/${c.Labels[LABELS.pod]}`;
      const facts: ContainerFacts = {
        name: c.Labels[LABELS.container],
        role,
        image: c.Labels[`${LABELS.container}.replaces`] ?? c.Image,
        imageId: info.Image,
        containerId: `docker://${info.Id}`,
        running: info.State.Running,
        startedAt: time(info.State.StartedAt),
        finishedAt: time(info.State.FinishedAt),
        exitCode: info.State.Running ? undefined : info.State.ExitCode,
        restartCount: info.RestartCount ?? 0,
      };
      out.set(key, [...(out.get(key) ?? []), facts]);
    }),
  );
  return out;
}

/**
 * What the kubelet remembers of a container beyond what the engine shows: its restarts, how the
 * run before the current one ended, and why an exited container is not started again yet.
 */
export interface ContainerHistory {
  restartCount: number;
  lastTerminated?: Record<string, unknown>;
  /**
   * Where the runs' logs part, for `kubectl logs` and `--previous` on a container restarted in
   * place: when the kubelet restarted it (the current run's log begins there; every line of the
   * run before was read by then), and when it restarted it the time before.
   */
  restartedAt?: string;
  previousRestartedAt?: string;
  waiting?: { reason: string; message: string };
}

/** The history of one container of a pod, by the pod and the container's name. */
export type HistoryOf = (pod: KubeObject, container: string) => ContainerHistory | undefined;

/** What the kubelet's probes say of a container (started: its startup probe passed; ready: its readiness probe too), undefined when it has none. */
export type ProbesOf = (pod: KubeObject, container: string) => { started: boolean; ready: boolean } | undefined;

/** How a container's run ended, as `state.terminated` and `lastState.terminated` show it. */
export function terminatedOf(f: ContainerFacts): Record<string, unknown> {
  return {
    exitCode: f.exitCode ?? 0,
    reason: f.exitCode === 0 ? 'Completed' : 'Error',
    startedAt: f.startedAt,
    finishedAt: f.finishedAt,
    containerID: f.containerId,
  };
}

function state(f: ContainerFacts | undefined, h: ContainerHistory | undefined, notStarted: string): Record<string, unknown> {
  if (!f) return { waiting: { reason: notStarted } };
  if (f.running) return { running: { startedAt: f.startedAt } };
  if (h?.waiting) return { waiting: h.waiting };
  return { terminated: terminatedOf(f) };
}

/**
 * An init container is ready once it has exited 0; a restartable one (`restartPolicy: Always`, a
 * native sidecar) as an app container: while it runs, and once its probes (if any) say it started
 * and is ready.
 */
function containerStatus(
  spec: Record<string, unknown>,
  f: ContainerFacts | undefined,
  init: boolean,
  h: ContainerHistory | undefined,
  notStarted: string,
  probes?: { started: boolean; ready: boolean },
): Record<string, unknown> {
  const runsToCompletion = init && spec.restartPolicy !== 'Always';
  const running = Boolean(f?.running);
  const ready = runsToCompletion ? (f ? !f.running && f.exitCode === 0 : false) : running && (probes?.ready ?? true);
  // Held back after an exit, the run that just ended is the last state; else the one before it.
  const last = f && !f.running && h?.waiting ? terminatedOf(f) : h?.lastTerminated;
  return {
    name: spec.name,
    state: state(f, h, notStarted),
    lastState: last ? { terminated: last } : {},
    ready,
    restartCount: h?.restartCount ?? 0,
    image: typeof spec.image === 'string' ? spec.image : (f?.image ?? ''),
    imageID: f?.imageId ?? '',
    ...(f ? { containerID: f.containerId, started: running && (runsToCompletion || (probes?.started ?? true)) } : { started: false }),
  };
}

const stateOf = (s: Record<string, unknown>, key: string): Record<string, unknown> | undefined =>
  isRecord(s.state) && isRecord(s.state[key]) ? s.state[key] : undefined;
const exitOf = (t: Record<string, unknown> | undefined): number => Number(t?.exitCode ?? 0);

/** kubelet's getPhase: the pod's phase from its containers' statuses and its restartPolicy. */
export function podPhase(restartPolicy: string, inits: Record<string, unknown>[], apps: Record<string, unknown>[]): string {
  let pendingInit = 0;
  let failedInit = 0;
  for (const s of inits) {
    if (stateOf(s, 'running')) pendingInit++;
    else if (stateOf(s, 'terminated')) {
      if (exitOf(stateOf(s, 'terminated')) !== 0) failedInit++;
    } else if (stateOf(s, 'waiting')) {
      const last = isRecord(s.lastState) && isRecord(s.lastState.terminated) ? s.lastState.terminated : undefined;
      if (last) {
        if (exitOf(last) !== 0) failedInit++;
      } else pendingInit++;
    } else pendingInit++;
  }
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of apps) {
    if (stateOf(s, 'running')) running++;
    else if (stateOf(s, 'terminated')) {
      stopped++;
      if (exitOf(stateOf(s, 'terminated')) === 0) succeeded++;
    } else if (stateOf(s, 'waiting')) {
      if (isRecord(s.lastState) && isRecord(s.lastState.terminated)) stopped++;
      else waiting++;
    }
  }
  if (failedInit > 0 && restartPolicy === 'Never') return 'Failed';
  if ((pendingInit > 0 && running + stopped === 0) || waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (restartPolicy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (restartPolicy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

const list = (value: unknown): Record<string, unknown>[] => (Array.isArray(value) ? value.filter(isRecord) : []);

/** The pod's status from its containers' facts; the addresses it already has are kept. */
export function podStatus(pod: KubeObject, facts: ContainerFacts[], historyOf?: HistoryOf, probesOf?: ProbesOf): Record<string, unknown> {
  const spec = isRecord(pod.spec) ? pod.spec : {};
  const old = isRecord(pod.status) ? pod.status : {};
  const byName = new Map(facts.map((f) => [f.name, f]));
  // Without the kubelet's memory (a host just started), the counts the status already had stay.
  const previous = new Map(
    ['initContainerStatuses', 'containerStatuses'].flatMap((field) => list(old[field]).map((s) => [String(s.name), s] as const)),
  );
  const history = (name: string): ContainerHistory | undefined => {
    const h = historyOf?.(pod, name);
    if (h) return h;
    const before = previous.get(name);
    if (!before || !Number(before.restartCount)) return undefined;
    const last = isRecord(before.lastState) && isRecord(before.lastState.terminated) ? before.lastState.terminated : undefined;
    return { restartCount: Number(before.restartCount), ...(last ? { lastTerminated: last } : {}) };
  };
  const status = (c: Record<string, unknown>, init: boolean, notStarted: string): Record<string, unknown> =>
    containerStatus(c, byName.get(String(c.name)), init, history(String(c.name)), notStarted, probesOf?.(pod, String(c.name)));
  // kubelet's default waiting reason: PodInitializing in any pod with init containers, finished or not.
  const notStarted = list(spec.initContainers).length > 0 ? 'PodInitializing' : 'ContainerCreating';
  const inits = list(spec.initContainers).map((c) => status(c, true, notStarted));
  const apps = list(spec.containers).map((c) => status(c, false, notStarted));
  // An ephemeral container is never ready: it serves nothing (as the kubelet reports it).
  const ephemeral = list(spec.ephemeralContainers).map((c) => ({ ...status(c, false, 'ContainerCreating'), ready: false }));
  // Initialized: the init containers have completed and the native sidecars have started, and it
  // stays so once the app containers have started (a native sidecar that dies later does not undo
  // it); Ready: the app containers and the native sidecars are ready (Kubernetes 1.29 and later).
  const initialized = inits.every((s) => s.ready) || apps.some((s) => s.containerID !== undefined);
  const sidecars = inits.filter((_, i) => list(spec.initContainers)[i]?.restartPolicy === 'Always');
  const allReady = initialized && apps.length > 0 && [...apps, ...sidecars].every((s) => s.ready);
  const phase = podPhase(typeof spec.restartPolicy === 'string' ? spec.restartPolicy : 'Always', inits, apps);
  const started = facts.map((f) => f.startedAt).filter((t): t is string => Boolean(t)).sort()[0];
  const oldConditions = new Map(list(old.conditions).map((c) => [c.type, c]));
  const condition = (type: string, ok: boolean, reason?: string): Record<string, unknown> => {
    const status = ok ? 'True' : 'False';
    const before = oldConditions.get(type);
    const since = before?.status === status ? before.lastTransitionTime : kubeTime();
    return { type, status, lastProbeTime: null, lastTransitionTime: since, ...(ok || !reason ? {} : { reason }) };
  };
  return {
    ...clone(old),
    phase,
    conditions: [
      condition('PodReadyToStartContainers', facts.length > 0),
      condition('Initialized', initialized, 'ContainersNotInitialized'),
      condition('Ready', allReady, 'ContainersNotReady'),
      condition('ContainersReady', allReady, 'ContainersNotReady'),
      condition('PodScheduled', true),
    ],
    ...(started ? { startTime: old.startTime ?? started } : {}),
    ...(inits.length ? { initContainerStatuses: inits } : {}),
    containerStatuses: apps,
    ...(ephemeral.length ? { ephemeralContainerStatuses: ephemeral } : {}),
  };
}
