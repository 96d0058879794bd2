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

function state(f: ContainerFacts | undefined): Record<string, unknown> {
  if (!f) return { waiting: { reason: 'ContainerCreating' } };
  if (f.running) return { running: { startedAt: f.startedAt } };
  return {
    terminated: {
      exitCode: f.exitCode ?? 0,
      reason: f.exitCode === 0 ? 'Completed' : 'Error',
      startedAt: f.startedAt,
      finishedAt: f.finishedAt,
      containerID: f.containerId,
    },
  };
}

/**
 * An init container is ready once it has exited 0; a restartable one (`restartPolicy: Always`, a
 * native sidecar) while it runs, as an app container: the lab starts the next container only once
 * istio-proxy answers its startup probe, and runs no other probes.
 */
function containerStatus(spec: Record<string, unknown>, f: ContainerFacts | undefined, init: boolean): Record<string, unknown> {
  const runsToCompletion = init && spec.restartPolicy !== 'Always';
  const ready = runsToCompletion ? (f ? !f.running && f.exitCode === 0 : false) : Boolean(f?.running);
  return {
    name: spec.name,
    state: state(f),
    ready,
    restartCount: f?.restartCount ?? 0,
    image: typeof spec.image === 'string' ? spec.image : (f?.image ?? ''),
    imageID: f?.imageId ?? '',
    ...(f ? { containerID: f.containerId, started: f.running } : { started: false }),
  };
}

const list = (value: unknown): Record<string, unknown>[] => (Array.isArray(value) ? value.filter(isRecord) : []);

/** The pod's status from its containers' facts; the addresses it already has are kept. */
export function podStatus(pod: KubeObject, facts: ContainerFacts[]): Record<string, unknown> {
  const spec = isRecord(pod.spec) ? pod.spec : {};
  const old = isRecord(pod.status) ? pod.status : {};
  const byName = new Map(facts.map((f) => [f.name, f]));
  const inits = list(spec.initContainers).map((c) => containerStatus(c, byName.get(String(c.name)), true));
  const apps = list(spec.containers).map((c) => containerStatus(c, byName.get(String(c.name)), false));
  const ephemeral = list(spec.ephemeralContainers).map((c) => containerStatus(c, byName.get(String(c.name)), false));
  // Initialized: the init containers have completed and the native sidecars have started, and it
  // stays so once the app containers have started (a native sidecar that dies later does not undo
  // it); Ready: the app containers and the native sidecars are ready (Kubernetes 1.29 and later).
  const initialized = inits.every((s) => s.ready) || apps.some((s) => s.containerID !== undefined);
  const sidecars = inits.filter((_, i) => list(spec.initContainers)[i]?.restartPolicy === 'Always');
  const allReady = initialized && apps.length > 0 && [...apps, ...sidecars].every((s) => s.ready);
  const anyRunning = apps.some((s) => isRecord(s.state) && 'running' in s.state);
  const allExited = apps.length > 0 && apps.every((s) => isRecord(s.state) && 'terminated' in s.state);
  const failed = allExited && apps.some((s) => isRecord(s.state) && isRecord(s.state.terminated) && s.state.terminated.exitCode !== 0);
  const phase = anyRunning ? 'Running' : allExited ? (failed ? 'Failed' : 'Succeeded') : 'Pending';
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
