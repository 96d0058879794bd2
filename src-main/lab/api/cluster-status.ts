// The lab as its Kubernetes API describes it (pods, their containers' states, Services and endpoints), joined with the engine's container handles: what `sidecar-lab status` and the window's Topology show.
import type Docker from 'dockerode';
import { labStatus, type ContainerStatus, type LabStatus, type PodStatus } from '../runtime/status';
import type { ServiceRecord } from '../runtime/lab';
import type { PodContainerRole } from '../runtime/pod-run';
import { LabApiClient } from './client';
import { liveApiEndpoint } from './host-state';
import { podRow } from './kinds/core';
import { isRecord, type KubeObject } from './objects';

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (isRecord(v) ? v : {});
const arr = (v: unknown): Rec[] => (Array.isArray(v) ? v.filter(isRecord) : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

interface List {
  items?: KubeObject[];
}

/** A container's role in the lab, from where the pod spec puts it and its name (as injection names them). */
function roleOf(name: string, where: 'init' | 'app' | 'ephemeral'): PodContainerRole {
  if (name === 'istio-init' || name === 'istio-validation') return 'istio-init';
  if (name === 'istio-proxy') return 'istio-proxy';
  if (where === 'ephemeral' || name === 'tap') return 'tap';
  return where === 'init' ? 'init' : 'app';
}

/** The pod's containers in the spec's order, each with its state from the pod's status and its handle from the engine. */
function containersOf(pod: KubeObject, engine: PodStatus | undefined): ContainerStatus[] {
  const spec = rec(pod.spec);
  const status = rec(pod.status);
  const statuses = new Map(
    [...arr(status.initContainerStatuses), ...arr(status.containerStatuses), ...arr(status.ephemeralContainerStatuses)].map((s) => [str(s.name), s]),
  );
  const byId = new Map(engine?.containers.map((c) => [c.id, c]) ?? []);
  const out: ContainerStatus[] = [];
  const pause = engine?.containers.find((c) => c.role === 'pause');
  if (pause) out.push(pause);
  const add = (list: unknown, where: 'init' | 'app' | 'ephemeral'): void => {
    for (const c of arr(list)) {
      const name = str(c.name);
      const s = statuses.get(name);
      const state = rec(s?.state);
      const id = str(s?.containerID).replace(/^docker:\/\//, '');
      const handle = id ? byId.get(id) : undefined;
      const terminated = isRecord(state.terminated) ? state.terminated : undefined;
      const waiting = isRecord(state.waiting) ? state.waiting : undefined;
      out.push({
        id: handle?.id ?? id,
        name,
        role: roleOf(name, where),
        dockerName: handle?.dockerName ?? '',
        image: handle?.image ?? str(c.image),
        state: state.running ? 'running' : terminated ? 'exited' : 'waiting',
        ...(terminated ? { exitCode: Number(terminated.exitCode ?? 0) } : {}),
        ...(waiting && str(waiting.reason) ? { reason: str(waiting.reason) } : terminated && str(terminated.reason) ? { reason: str(terminated.reason) } : {}),
        ...(handle?.replaces ? { replaces: handle.replaces } : {}),
      });
    }
  };
  add(spec.initContainers, 'init');
  add(spec.containers, 'app');
  add(spec.ephemeralContainers, 'ephemeral');
  return out;
}

function podOf(pod: KubeObject, engine: PodStatus | undefined, now: number): PodStatus {
  const spec = rec(pod.spec);
  const status = rec(pod.status);
  const row = podRow(pod, now);
  const conditions = arr(status.conditions);
  const names = [...arr(spec.containers), ...arr(spec.initContainers)].map((c) => str(c.name));
  return {
    namespace: pod.metadata.namespace ?? 'default',
    name: pod.metadata.name,
    ip: str(status.podIP),
    sidecar: names.includes('istio-proxy'),
    ready: conditions.some((c) => c.type === 'Ready' && c.status === 'True'),
    labels: pod.metadata.labels ?? {},
    containers: containersOf(pod, engine),
    status: String(row[2]),
    restarts: Number.parseInt(String(row[3]), 10) || 0,
  };
}

function serviceOf(svc: KubeObject, endpoints: KubeObject | undefined): ServiceRecord {
  const spec = rec(svc.spec);
  const clusterIP = str(spec.clusterIP);
  return {
    namespace: svc.metadata.namespace ?? 'default',
    name: svc.metadata.name,
    clusterIP: !clusterIP || clusterIP === 'None' ? null : clusterIP,
    ports: arr(spec.ports).map((p) => ({
      ...(str(p.name) ? { name: str(p.name) } : {}),
      port: Number(p.port),
      protocol: str(p.protocol) || 'TCP',
      targetPort: (typeof p.targetPort === 'number' || typeof p.targetPort === 'string' ? p.targetPort : Number(p.port)) as number | string,
    })),
    endpoints: arr(endpoints?.subsets).flatMap((subset) => {
      const ports = arr(subset.ports).map((p) => Number(p.port));
      return arr(subset.addresses).map((a) => ({ pod: str(rec(a.targetRef).name), ip: str(a.ip), ports }));
    }),
  };
}

/**
 * The lab's status read from its Kubernetes API, the one source of truth that `kubectl get pods`
 * also reads; the engine adds only what the API does not model (network, node, container handles).
 * While the API is not served (a lab still starting, or its host stopped) the engine's view is all there is.
 */
export async function clusterStatus(docker: Docker, lab: string, now = Date.now()): Promise<LabStatus> {
  const engine = await labStatus(docker, lab);
  if (!liveApiEndpoint(lab)) return { ...engine, source: 'engine' };
  const client = LabApiClient.forLab(lab);
  const [pods, services, endpoints] = await Promise.all(
    ['/api/v1/pods', '/api/v1/services', '/api/v1/endpoints'].map((path) => client.call<List>('GET', path).then((l) => l.items ?? [])),
  );
  const enginePods = new Map(engine.pods.map((p) => [`${p.namespace}/${p.name}`, p]));
  const order = new Map(engine.pods.map((p, i) => [`${p.namespace}/${p.name}`, i]));
  const key = (o: KubeObject): string => `${o.metadata.namespace ?? 'default'}/${o.metadata.name}`;
  const listed = pods
    .map((p) => podOf(p, enginePods.get(key(p)), now))
    .sort(
      (a, b) =>
        (order.get(`${a.namespace}/${a.name}`) ?? 1e9) - (order.get(`${b.namespace}/${b.name}`) ?? 1e9) ||
        `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`),
    );
  const endpointsByKey = new Map(endpoints.map((e) => [key(e), e]));
  return {
    ...engine,
    source: 'api',
    ready: engine.started && listed.every((p) => p.ready),
    pods: listed,
    services: services.map((s) => serviceOf(s, endpointsByKey.get(key(s)))),
  };
}

