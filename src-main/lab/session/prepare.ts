// A lab from its manifests: scenario → plan → injection, checked before the engine is touched; then the runtime's LabRun.
import type Docker from 'dockerode';
import type { NodeConfig } from '../../../src-pod/node-agent/config';
import type { DnsRecordSet } from '../../../src-pod/node-agent/dns';
import { imageExists } from '../images/base-image';
import type { ImageSet } from '../images/build';
import { IMAGE_REPO_PREFIX, type ImageName } from '../images/definitions';
import { injectorArgs, meshDefaultsFromValues } from '../injection';
import { cniRulesFor, inCniMode } from './cni-rules';
import { planLab, type PlanOptions } from '../plan';
import type { LabPlan, PlannedContainer, PlannedPod } from '../plan/types';
import type { LabRun, ServiceRecord } from '../runtime/lab';
import type { AppRun, PodRun } from '../runtime/pod-run';
import { resolveScenarioArg } from '../scenario/builtin';
import type { RawDocument, Scenario } from '../scenario/types';
import { overlayScenario, parseScenarioFiles } from '../scenario';
import { proxyConfigFor } from '../mesh/proxy-config';
import { agentEnvFor } from './agent-env';
import { writtenPodSpec } from '../api/seed-context';
import { chooseStandin, STANDIN_ANNOTATION_PREFIX, standinOverride } from '../standins/choose';
import { FlagError } from '../../../src-pod/demo/flags';
import { pointer, posAt } from '../scenario/errors';
import { dockerUser, effectiveSecurity } from '../plan/security';

export interface PreparedLab {
  file: string;
  /** Files applied to the running lab since `up`, in order. */
  applied: string[];
  plan: LabPlan;
  /** Every object of the manifests as written, for the lab's Kubernetes API. */
  documents: RawDocument[];
  /** Per pod, the istio-init arguments and environment (undefined: no sidecar). */
  init: Map<PlannedPod, { args: string[]; env: Record<string, string> } | undefined>;
}

export async function prepareLab(arg: string, applied: string[] = []): Promise<PreparedLab> {
  const file = resolveScenarioArg(arg);
  let scenario = await parseScenarioFiles([file]);
  for (const extra of applied) scenario = overlayScenario(scenario, await parseScenarioFiles([extra]));
  return prepareScenario(scenario, file, applied);
}

/** A parsed scenario planned and checked; `options` pins the addresses of pods already running. */
export function prepareScenario(scenario: Scenario, file: string, applied: string[] = [], options: PlanOptions = {}): PreparedLab {
  const plan = planLab(scenario, options);
  checkStandinAnnotations(plan);
  const init = new Map<PlannedPod, { args: string[]; env: Record<string, string> } | undefined>();
  for (const pod of plan.pods) {
    if (!pod.sidecar) continue;
    const injected = injectorArgs(
      { annotations: pod.annotations, spec: { injectedInit: pod.spec.injectedInit } },
      {
        ...meshDefaultsFromValues(plan.injectorValues),
        interceptionMode: plan.mesh.defaultConfig.interceptionMode,
        proxyMetadata: pod.sidecar.proxyMetadata,
      },
    );
    // Under Istio CNI the plugin writes the rules from the pod's annotations, with its own defaults.
    const rules = injected.hasInitContainer && inCniMode(plan, pod) ? cniRulesFor(plan, scenario.documents, pod) : injected;
    init.set(pod, rules.hasInitContainer ? { args: rules.args, env: rules.env } : undefined);
  }
  return { file, applied, plan, init, documents: scenario.documents };
}

/** Stand-in annotations name a container of their pod and hold flags the stand-in takes, or `up` stops here. */
function checkStandinAnnotations(plan: LabPlan): void {
  for (const pod of plan.pods) {
    for (const [key, value] of Object.entries(pod.annotations)) {
      if (!key.startsWith(STANDIN_ANNOTATION_PREFIX)) continue;
      // A Deployment's pods carry the template's annotations: point at whichever the file has.
      const paths = [pointer('metadata', 'annotations', key), pointer('spec', 'template', 'metadata', 'annotations', key)];
      const at = posAt(pod.source, paths.find((p) => pod.source.paths[p]) ?? paths[0]);
      const where = `${at.file}:${at.line}:${at.col}: annotation ${key} of pod ${pod.namespace}/${pod.name}`;
      const container = pod.containers.find((c) => c.name === key.slice(STANDIN_ANNOTATION_PREFIX.length));
      if (!container) throw new Error(`${where}: the pod has no container ${key.slice(STANDIN_ANNOTATION_PREFIX.length)}`);
      try {
        standinOverride(container.spec.image, value);
      } catch (e) {
        if (e instanceof FlagError) throw new Error(`${where}: ${e.message}`, { cause: e });
        throw e;
      }
    }
  }
}

/** The lab's own images by short name (`sidecar-lab/demo`, `sidecar-lab/demo:latest`). */
function labImage(image: string, images: ImageSet): string | undefined {
  if (!image.startsWith(IMAGE_REPO_PREFIX)) return undefined;
  const name = image.slice(IMAGE_REPO_PREFIX.length).split(':')[0] as ImageName;
  return name in images ? images[name] : undefined;
}

/** The user the image runs as (`USER` of its Dockerfile), for a runAsGroup without runAsUser. */
async function imageUser(docker: Docker, image: string): Promise<string> {
  const info = (await docker.getImage(image).inspect()) as { Config?: { User?: string } };
  return info.Config?.User ?? '';
}

/** How one app or init container runs: its image (or a stand-in's), command, user and groups. */
async function containerRun(
  docker: Docker,
  pod: PlannedPod,
  c: PlannedContainer,
  images: ImageSet,
  notes: string[],
): Promise<AppRun> {
  const podName = `${pod.namespace}/${pod.name}`;
  const env = Object.fromEntries(c.env.map((e) => [e.name, e.value]));
  const ports = c.role === 'init' ? [] : c.spec.ports.filter((p) => p.protocol === 'TCP').map((p) => p.containerPort);
  const sec = effectiveSecurity(pod.spec, c.spec);
  const groupAdd = sec.groups.map(String);
  const withUser = async (image: string): Promise<{ user?: string; groupAdd?: string[] }> => {
    const user = dockerUser(sec, sec.runAsUser === undefined && sec.runAsGroup !== undefined ? await imageUser(docker, image) : '');
    return { ...(user !== undefined ? { user } : {}), ...(groupAdd.length ? { groupAdd } : {}) };
  };
  const base = { name: c.name, env, ports };
  const own = labImage(c.spec.image, images) ?? ((await imageExists(docker, c.spec.image)) ? c.spec.image : undefined);
  if (own) return { ...base, ...(await withUser(own)), image: own, entrypoint: c.command, cmd: c.args };
  // Not on this machine and nothing may be pulled: a stand-in in the demo image plays it.
  const override = pod.annotations[`${STANDIN_ANNOTATION_PREFIX}${c.name}`];
  const choice = override !== undefined ? standinOverride(c.spec.image, override) : chooseStandin({ image: c.spec.image, command: c.command, args: c.args, env, ports: c.spec.ports, init: c.role === 'init' });
  notes.push(`${podName}/${c.name}: image ${c.spec.image} is not on this machine; stand-in (${choice.mode}) in the demo image: ${choice.reason}`);
  return { ...base, ...(await withUser(images.demo)), image: images.demo, replacedImage: c.spec.image, entrypoint: choice.entrypoint, cmd: choice.cmd };
}

/** The version the sidecars report for this push: how many files have been applied on top. */
export function configVersion(prepared: PreparedLab): string {
  return `${prepared.plan.lab}-${prepared.applied.length + 1}`;
}

function dnsRecords(plan: LabPlan): DnsRecordSet {
  const records: DnsRecordSet = {};
  // The DNS server derives PTR records from the A records itself.
  for (const r of plan.dns.zone.records) {
    if (r.type === 'A') (records[r.name] ??= {}).a = [...(records[r.name]?.a ?? []), r.address];
    if (r.type === 'SRV') {
      const srv = { priority: r.priority, weight: r.weight, port: r.port, target: r.target };
      (records[r.name] ??= {}).srv = [...(records[r.name]?.srv ?? []), srv];
    }
  }
  return records;
}

export function nodeConfig(plan: LabPlan): NodeConfig {
  return {
    nodeIP: plan.node.ip,
    clusterDomain: plan.clusterDomain,
    dns: dnsRecords(plan),
    services: plan.services
      .filter((s) => s.clusterIP)
      .map((s) => ({
        namespace: s.namespace,
        name: s.name,
        clusterIP: s.clusterIP!,
        ports: s.ports.map((p) => ({
          name: p.name ?? '',
          port: p.port,
          protocol: p.protocol,
          endpoints: p.endpoints.map((e) => ({ ip: e.ip, port: e.port })),
        })),
      })),
  };
}

/** One entry per endpoint address, with every target port it serves. */
function endpointsOf(s: LabPlan['services'][number]): ServiceRecord['endpoints'] {
  const byIp = new Map<string, { pod: string; ip: string; ports: number[] }>();
  for (const e of s.ports.flatMap((p) => p.endpoints)) {
    const entry = byIp.get(e.ip) ?? { pod: e.pod, ip: e.ip, ports: [] };
    if (!entry.ports.includes(e.port)) entry.ports.push(e.port);
    byIp.set(e.ip, entry);
  }
  return [...byIp.values()];
}

export function serviceRecords(plan: LabPlan): ServiceRecord[] {
  return plan.services.map((s) => ({
    namespace: s.namespace,
    name: s.name,
    clusterIP: s.clusterIP ?? null,
    ports: s.ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol, targetPort: p.targetPort })),
    endpoints: endpointsOf(s),
  }));
}

/** How the runtime starts one planned pod: its containers, images or stand-ins, and sidecar. */
export async function podRunOf(docker: Docker, prepared: PreparedLab, pod: PlannedPod, images: ImageSet, notes: string[], version = configVersion(prepared)): Promise<PodRun> {
  const { plan } = prepared;
  const apps: AppRun[] = [];
  const inits: AppRun[] = [];
  for (const c of pod.containers) {
    if (c.role === 'app') apps.push(await containerRun(docker, pod, c, images, notes));
    if (c.role === 'init') inits.push(await containerRun(docker, pod, c, images, notes));
  }
  const written = writtenPodSpec(prepared.documents, pod);
  return {
    lab: plan.lab,
    namespace: pod.namespace,
    name: pod.name,
    uid: pod.uid,
    serviceAccount: typeof written.serviceAccountName === 'string' ? written.serviceAccountName : 'default',
    automountToken: written.automountServiceAccountToken !== false,
    ip: pod.ip,
    nodeIP: plan.node.ip,
    resolvConf: pod.resolvConf,
    etcHosts: pod.etcHosts,
    podLabels: pod.labels,
    sidecar: Boolean(pod.sidecar),
    init: prepared.init.get(pod),
    holdApplicationUntilProxyStarts: pod.sidecar?.holdApplicationUntilProxyStarts ?? false,
    proxyPrivileged: pod.sidecar?.privileged ?? false,
    ...(pod.sidecar
      ? {
          proxyConfig: JSON.stringify(proxyConfigFor(plan, pod, version, agentEnvFor(prepared.documents, plan, pod))),
          interceptionMode: pod.sidecar.interceptionMode,
        }
      : {}),
    apps,
    inits,
    // Istio's injector puts a native sidecar (istio-proxy as an init container) before the
    // app's init containers, so they are in the mesh; otherwise istio-init goes last.
    initsAfterProxy: pod.sidecar?.native === true,
    // Istio's CNI mode: a pod that arrived injected so (istio-validation), or that the lab injects
    // with the injector's values saying so; istio-cni writes the rules before any init container.
    rulesBeforeInits: inCniMode(plan, pod),
  };
}

export async function toLabRun(
  docker: Docker,
  prepared: PreparedLab,
  images: ImageSet,
  note: (message: string) => void,
): Promise<LabRun> {
  const { plan } = prepared;
  const notes: string[] = [];
  const pods: PodRun[] = [];
  for (const pod of plan.pods) pods.push(await podRunOf(docker, prepared, pod, images, notes));
  for (const text of notes) note(`replaced: ${text}`);
  return {
    name: plan.lab,
    scenario: prepared.file,
    applied: prepared.applied,
    network: { subnet: plan.network.subnet, ipRange: plan.network.ipRange, gateway: plan.network.gateway },
    nodeIP: plan.node.ip,
    nodeConfig: nodeConfig(plan),
    pods,
    services: serviceRecords(plan),
    images,
  };
}
