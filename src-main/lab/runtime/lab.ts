// A lab's life on the engine: network, node, pods up; status read back from the engine; everything down by label.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { NodeConfig } from '../../../src-pod/node-agent/config';
import { LABELS } from '../docker/engine';
import type { ImageSet } from '../images/build';
import { stateDir } from '../paths';
import { processAlive, removeApiState } from '../api/host-state';
import { writePodCredentials } from '../api/pod-credentials';
import { nodeContainerName } from '../plan/names';
import { containerLogs, labFilter, removeLabResources, startContainer } from './docker-ops';
import { labNetworkName as networkName } from '../plan/names';
import { createLabNetwork, type LabNetworkSpec } from './network';
import { PodStarter } from './pod';
import type { PodRun } from './pod-run';

export interface ServiceRecord {
  namespace: string;
  name: string;
  clusterIP: string | null;
  ports: { name?: string; port: number; protocol: string; targetPort: number | string }[];
  endpoints: { pod: string; ip: string; ports: number[] }[];
}

export interface LabRun {
  name: string;
  scenario: string;
  /** Files applied since `up` (ServiceEntries, Sidecars, Services, mesh config), in order. */
  applied: string[];
  network: LabNetworkSpec;
  nodeIP: string;
  nodeConfig: NodeConfig;
  pods: PodRun[];
  services: ServiceRecord[];
  /** The images the lab started with: the kubelet starts later pods from the same. */
  images?: ImageSet;
  /** The API's resourceVersion the kubelet has brought the containers, node and sidecars to. */
  reconciledVersion?: number;
  /** The version of the sidecars' configuration the kubelet last pushed (`<lab>-<n>`). */
  configVersion?: string;
}

export interface LabRecord {
  run: LabRun;
  ownerPid: number;
  ready: boolean;
  startedAt: string;
}

function recordPath(lab: string): string {
  return join(stateDir(), 'labs', `${lab}.json`);
}

export function readLabRecord(lab: string): LabRecord | undefined {
  const file = recordPath(lab);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as LabRecord;
}

export function writeLabRecord(record: LabRecord): void {
  mkdirSync(join(stateDir(), 'labs'), { recursive: true });
  // Write then rename: the kubelet rewrites the record while other commands read it.
  const file = recordPath(record.run.name);
  writeFileSync(`${file}.${process.pid}.tmp`, JSON.stringify(record, null, 2));
  renameSync(`${file}.${process.pid}.tmp`, file);
}


/** Names of the labs that have anything on the engine. */
export async function labsOnEngine(docker: Docker): Promise<string[]> {
  const names = new Set<string>();
  for (const c of await docker.listContainers({ all: true, filters: labFilter() })) {
    names.add(c.Labels[LABELS.lab]);
  }
  for (const n of await docker.listNetworks({ filters: labFilter() })) {
    if (n.Labels?.[LABELS.lab]) names.add(n.Labels[LABELS.lab]);
  }
  return [...names].sort();
}

export class LabAlreadyUpError extends Error {}

/**
 * Removes what a lab left behind when the process that was starting it died half-way.
 * Returns true when there was such a lab.
 */
async function removeAbandoned(docker: Docker, lab: string, log: (m: string) => void): Promise<boolean> {
  const onEngine = (await labsOnEngine(docker)).includes(lab);
  const record = readLabRecord(lab);
  if (!onEngine) return false;
  if (record?.ready || (record && processAlive(record.ownerPid) && record.ownerPid !== process.pid)) {
    throw new LabAlreadyUpError(
      `lab ${lab} is already up${record.ready ? '' : ' (still starting)'}: ` +
        '`sidecar-lab down` first, or `sidecar-lab status` to see it',
    );
  }
  log(`lab ${lab}: removing what an earlier, interrupted start left behind`);
  await removeLabResources(docker, lab);
  await removeApiState(lab);
  return true;
}

async function waitForLog(container: Docker.Container, marker: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const logs = await containerLogs(container);
    if (logs.includes(marker)) return;
    const info = await container.inspect();
    if (!info.State.Running || Date.now() > deadline) {
      throw new Error(`${info.Name.slice(1)} did not start:\n${logs.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function labUp(
  docker: Docker,
  run: LabRun,
  images: ImageSet,
  log: (message: string) => void,
): Promise<void> {
  await removeAbandoned(docker, run.name, log);
  try {
    await startLab(docker, run, images, log);
  } catch (err) {
    // A lab that failed to start is not left half-built: its logs are in the error already.
    log(`lab ${run.name} failed to start; removing what was started`);
    await labDown(docker, run.name, () => {});
    throw err;
  }
}

async function startLab(
  docker: Docker,
  run: LabRun,
  images: ImageSet,
  log: (message: string) => void,
): Promise<void> {
  const labLabels = { [LABELS.lab]: run.name, [LABELS.owner]: String(process.pid) };
  writeLabRecord({ run, ownerPid: process.pid, ready: false, startedAt: new Date().toISOString() });
  await createLabNetwork(docker, run.name, run.network, labLabels);
  log(`network ${networkName(run.name)} (${run.network.subnet}, internal)`);

  const node = await startContainer(docker, {
    name: nodeContainerName(run.name),
    Image: images.node,
    Cmd: ['node-agent', 'run'],
    Hostname: nodeContainerName(run.name),
    Env: [`SIDECAR_LAB_NODE_CONFIG=${JSON.stringify(run.nodeConfig)}`],
    Labels: { ...labLabels, [LABELS.role]: 'node' },
    HostConfig: {
      NetworkMode: networkName(run.name),
      CapAdd: ['NET_ADMIN', 'NET_RAW'],
      Sysctls: {
        'net.ipv4.ip_forward': '1',
        // Pods and the node share one link: the node must not tell pods to bypass it.
        'net.ipv4.conf.all.send_redirects': '0',
        'net.ipv4.conf.default.send_redirects': '0',
        'net.ipv4.conf.eth0.send_redirects': '0',
      },
    },
    NetworkingConfig: {
      EndpointsConfig: { [networkName(run.name)]: { IPAMConfig: { IPv4Address: run.nodeIP } } },
    },
  });
  await waitForLog(node, 'node-agent: ready', 30_000);
  log(`node ${run.nodeIP}: kube-proxy rules and cluster DNS ready`);

  // Service-account volumes and the terminals' kubeconfig exist before the first container mounts them.
  await writePodCredentials(run.name, run.pods);
  const starter = new PodStarter(docker, images, labLabels);
  await Promise.all(
    run.pods.map(async (pod) => {
      const stuck = await starter.start(pod, log);
      if (stuck) {
        log(`pod ${pod.namespace}/${pod.name} not ready: Init:CrashLoopBackOff (${stuck.container} exited ${stuck.exitCode})`);
        return;
      }
      await starter.waitReady(pod, 60_000);
      const sidecar = pod.sidecar ? 'with sidecar' : 'no sidecar';
      log(`pod ${pod.namespace}/${pod.name} ready (${pod.ip}, ${sidecar})`);
    }),
  );
  writeLabRecord({ run, ownerPid: process.pid, ready: true, startedAt: new Date().toISOString() });
}

export async function labDown(
  docker: Docker,
  lab: string | undefined,
  log: (message: string) => void,
): Promise<number> {
  const labs = lab ? [lab] : await labsOnEngine(docker);
  for (const name of labs) {
    // The lab's Kubernetes API goes first: its kubelet would start again the pods removed below.
    // Without the record, a kubelet in a window that serves the API has no lab to keep up either.
    rmSync(recordPath(name), { force: true });
    await removeApiState(name);
  }
  return removeLabResources(docker, lab, (kind, name) => log(`removed ${kind} ${name}`));
}
