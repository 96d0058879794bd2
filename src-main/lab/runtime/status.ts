// A lab's state as the engine sees it now, shaped like `kubectl get pods -o wide` plus the lab's own parts.
import type Docker from 'dockerode';
import { LABELS } from '../docker/engine';
import { labFilter } from './docker-ops';
import { readLabRecord, type ServiceRecord } from './lab';
import { labNetworkName as networkName } from '../plan/names';
import type { PodContainerRole } from './pod-run';

export interface ContainerStatus {
  /** The engine's container id: a pod created again under its name has new ones. */
  id: string;
  name: string;
  role: PodContainerRole;
  dockerName: string;
  image: string;
  state: string;
  exitCode?: number;
  /** Why a container waits or ended, as Kubernetes says it (CrashLoopBackOff, Completed…); from the API's view. */
  reason?: string;
  /** The image the manifest named when the demo image stands in for it. */
  replaces?: string;
}

export interface PodStatus {
  namespace: string;
  name: string;
  ip: string;
  sidecar: boolean;
  ready: boolean;
  labels: Record<string, string>;
  containers: ContainerStatus[];
  /** kubectl's STATUS column (Running, Init:0/1, CrashLoopBackOff, Terminating…); from the API's view. */
  status?: string;
  /** kubectl's RESTARTS column; from the API's view. */
  restarts?: number;
}

export interface LabStatus {
  name: string;
  scenario?: string;
  ready: boolean;
  /** The lab finished starting (its record says so); `ready` also needs every pod ready. */
  started: boolean;
  /** Where the pods and Services were read: the lab's Kubernetes API, or the engine while the API is not served. */
  source?: 'api' | 'engine';
  network?: { name: string; subnet: string; internal: boolean };
  node?: { ip: string; state: string };
  pods: PodStatus[];
  services: ServiceRecord[];
}

const ROLE_ORDER: PodContainerRole[] = ['pause', 'init', 'istio-init', 'istio-proxy', 'app', 'tap'];

function containerReady(c: ContainerStatus): boolean {
  if (c.role === 'istio-init' || c.role === 'init') return c.state === 'exited' && c.exitCode === 0;
  return c.state === 'running';
}

export async function labStatus(docker: Docker, lab: string): Promise<LabStatus> {
  const record = readLabRecord(lab);
  const containers = await docker.listContainers({ all: true, filters: labFilter(lab) });
  const pods = new Map<string, PodStatus>();
  let node: LabStatus['node'];
  for (const c of containers) {
    const role = c.Labels[LABELS.role] as PodContainerRole | 'node' | 'ephemeral';
    // A debug container added through the API is the API's to show (ephemeralContainerStatuses); it says nothing of the pod's readiness.
    if (role === 'ephemeral') continue;
    if (role === 'node') {
      const ip = Object.values(c.NetworkSettings?.Networks ?? {})[0]?.IPAddress ?? '';
      node = { ip, state: c.State };
      continue;
    }
    const namespace = c.Labels[LABELS.namespace];
    const name = c.Labels[LABELS.pod];
    const key = `${namespace}/${name}`;
    const pod =
      pods.get(key) ??
      ({ namespace, name, ip: '', sidecar: false, ready: false, labels: {}, containers: [] } as PodStatus);
    pods.set(key, pod);
    if (role === 'pause') {
      pod.ip = c.Labels[`${LABELS.pod}.ip`] ?? '';
      pod.sidecar = c.Labels[`${LABELS.pod}.sidecar`] === 'true';
      pod.labels = JSON.parse(c.Labels[`${LABELS.pod}.labels`] ?? '{}') as Record<string, string>;
    }
    const exited = /Exited \((\d+)\)/.exec(c.Status);
    pod.containers.push({
      id: c.Id,
      name: c.Labels[LABELS.container],
      role,
      dockerName: c.Names[0]?.replace(/^\//, '') ?? c.Id,
      image: c.Image,
      state: c.State,
      ...(exited ? { exitCode: Number(exited[1]) } : {}),
      ...(c.Labels[`${LABELS.container}.replaces`]
        ? { replaces: c.Labels[`${LABELS.container}.replaces`] }
        : {}),
    });
  }
  const runs = new Map(record?.run.pods.map((p) => [`${p.namespace}/${p.name}`, p]) ?? []);
  for (const [key, pod] of pods) {
    pod.containers.sort((a, b) => ROLE_ORDER.indexOf(a.role) - ROLE_ORDER.indexOf(b.role));
    // A pod still starting has only some of its containers: it is ready once all it runs are.
    const run = runs.get(key);
    const expected = run ? [...run.apps.map((a) => a.name), ...(run.sidecar ? ['istio-proxy'] : [])] : [];
    const present = (name: string): boolean => pod.containers.some((c) => c.name === name && containerReady(c));
    pod.ready = pod.containers.length > 0 && pod.containers.every(containerReady) && expected.every(present);
  }
  let network: LabStatus['network'];
  try {
    const info = (await docker.getNetwork(networkName(lab)).inspect()) as {
      Name: string;
      Internal: boolean;
      IPAM: { Config: { Subnet: string }[] };
    };
    network = { name: info.Name, subnet: info.IPAM.Config[0]?.Subnet ?? '', internal: info.Internal };
  } catch {
    network = undefined;
  }
  const order = new Map(record?.run.pods.map((p, i) => [`${p.namespace}/${p.name}`, i]) ?? []);
  return {
    name: lab,
    scenario: record?.run.scenario,
    ready: Boolean(record?.ready) && [...pods.values()].every((p) => p.ready),
    started: Boolean(record?.ready),
    network,
    node,
    pods: [...pods.values()].sort(
      (a, b) =>
        (order.get(`${a.namespace}/${a.name}`) ?? 1e9) - (order.get(`${b.namespace}/${b.name}`) ?? 1e9),
    ),
    services: record?.run.services ?? [],
  };
}
