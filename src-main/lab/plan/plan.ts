// Scenario → LabPlan: pods with names and IPs, services with ClusterIPs and endpoints, DNS, sidecars.
import { posAt, Problems } from '../scenario/errors';
import type { ContainerSpec, IgnoredItem, PodSpec, Scenario, SourceRef } from '../scenario/types';
import { buildDnsZone, etcHosts, resolvConf } from './dns';
import { containerEnv, serviceLinkEnv, type PodFacts } from './env';
import {
  containerName,
  deploymentPodNames,
  labNetworkName,
  nodeContainerName,
  podDockerPrefix,
  podTemplateHash,
  podUid,
} from './names';
import {
  CLUSTER_DOMAIN,
  cidrRange,
  FIRST_POD_IP,
  intToIp,
  ipToInt,
  KUBE_DNS_IP,
  LAB_GATEWAY,
  LAB_SUBNET,
  NODE_HOSTNAME,
  NODE_IP,
  POD_CIDR,
  SERVICE_CIDR,
} from './network';
import { planServices } from './services';
import { defaultInjectorValues } from '../injection/values';
import { sidecarPlan } from './sidecar';
import { DEFAULT_NATIVE_SIDECAR_MODE, detectNativeSidecar } from '../injection/native-sidecars';
import { DEFAULT_KUBERNETES_VERSION } from '../scenario/lab-doc';
import type { ContainerRole, LabPlan, PlannedContainer, PlannedPod, PlannedService } from './types';

/** Container names the lab uses for its own containers in every pod. */
export const LAB_POD_CONTAINERS = ['pause', 'tap'];

interface PodDraft {
  namespace: string;
  name: string;
  workload?: { kind: 'Deployment'; name: string };
  labels: Record<string, string>;
  annotations: Record<string, string>;
  spec: PodSpec;
  inject: boolean;
  injectReason: string;
  source: SourceRef;
}

function expandWorkloads(scenario: Scenario): PodDraft[] {
  const out: PodDraft[] = [];
  for (const w of scenario.workloads) {
    const common = {
      namespace: w.namespace,
      inject: w.injection.inject,
      injectReason: w.injection.reason,
      source: w.source,
    };
    if (w.kind === 'Pod') {
      out.push({
        ...common,
        name: w.name,
        labels: w.labels,
        annotations: w.annotations,
        spec: w.spec,
      });
      continue;
    }
    const hash = podTemplateHash(w.namespace, w.name);
    for (const name of deploymentPodNames(w.namespace, w.name, w.replicas)) {
      out.push({
        ...common,
        name,
        workload: { kind: 'Deployment', name: w.name },
        labels: { ...w.template.labels, 'pod-template-hash': hash },
        annotations: w.template.annotations,
        spec: w.template.spec,
      });
    }
  }
  return out;
}

export interface PlanOptions {
  /**
   * Addresses pods already have, by `namespace/name` (a running lab's pods keep theirs); the
   * others get the lowest free addresses. Without it, addresses follow document order.
   */
  podIPs?: ReadonlyMap<string, string>;
  /** The API objects' uids, by `namespace/name` (the downward API's `metadata.uid`); the others get a fixed one from the name. */
  podUids?: ReadonlyMap<string, string>;
}

function podIps(drafts: PodDraft[], pinned: ReadonlyMap<string, string> | undefined): string[] {
  if (!pinned) return drafts.map((_, i) => intToIp(ipToInt(FIRST_POD_IP) + i));
  const taken = new Set(pinned.values());
  let next = ipToInt(FIRST_POD_IP);
  return drafts.map((d) => {
    const fixed = pinned.get(`${d.namespace}/${d.name}`);
    if (fixed) return fixed;
    while (taken.has(intToIp(next))) next++;
    const ip = intToIp(next++);
    taken.add(ip);
    return ip;
  });
}

/** kubelet's hostname: spec.hostname, else the pod name cut to 63 characters. */
function podHostname(name: string, spec: PodSpec): string {
  return spec.hostname ?? name.slice(0, 63).replace(/[-.]+$/, '');
}

function plannedContainers(
  lab: string,
  draft: PodDraft,
  facts: PodFacts,
  services: PlannedService[],
  problems: Problems,
): PlannedContainer[] {
  const links = serviceLinkEnv(services, draft.namespace, draft.spec.enableServiceLinks);
  const list: [ContainerRole, ContainerSpec][] = [
    ...draft.spec.initContainers.map((c): [ContainerRole, ContainerSpec] => ['init', c]),
    ...(draft.spec.injectedInit
      ? [['istio-init', draft.spec.injectedInit] as [ContainerRole, ContainerSpec]]
      : []),
    ...draft.spec.containers.map((c): [ContainerRole, ContainerSpec] => ['app', c]),
    ...(draft.spec.injectedProxy
      ? [['istio-proxy', draft.spec.injectedProxy] as [ContainerRole, ContainerSpec]]
      : []),
  ];
  return list.map(([role, spec]) => {
    if (LAB_POD_CONTAINERS.includes(spec.name)) {
      problems.add(
        posAt(draft.source, `${spec.path}/name`),
        `container name "${spec.name}" is reserved by the lab (its own ${LAB_POD_CONTAINERS.join(' and ')} containers)`,
      );
    }
    const resolved = containerEnv(spec, facts, links);
    return {
      name: spec.name,
      dockerName: containerName(lab, draft.namespace, draft.name, spec.name),
      role,
      spec,
      ...resolved,
    };
  });
}

/**
 * Plans the lab for a parsed scenario. Pure and deterministic: the same scenario gives the same
 * plan. Throws a ScenarioError (all problems attached) for what only shows up here: explicit
 * ClusterIPs outside the range or taken, named targetPorts no selected container declares,
 * clashing pod names, reserved container names.
 */
export function planLab(scenario: Scenario, options: PlanOptions = {}): LabPlan {
  const problems = new Problems();
  const lab = scenario.name;
  const drafts = expandWorkloads(scenario);
  const injectorValues = scenario.injector?.values ?? defaultInjectorValues();
  // istiod's webhook decides for the cluster's one node, whose kubelet runs the lab's release.
  const kubernetesVersion = scenario.lab?.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION;
  const nativeSidecars = detectNativeSidecar(
    scenario.lab?.nativeSidecars ?? DEFAULT_NATIVE_SIDECAR_MODE,
    [{ name: NODE_HOSTNAME, kubeletVersion: kubernetesVersion }],
    NODE_HOSTNAME,
  );

  const seen = new Map<string, PodDraft>();
  for (const d of drafts) {
    const key = `${d.namespace}/${d.name}`;
    const first = seen.get(key);
    if (first) {
      const what = d.workload
        ? `a pod of Deployment ${d.namespace}/${d.workload.name}`
        : `Pod ${key}`;
      problems.add(
        posAt(d.source, '/metadata/name'),
        `${what} is named ${d.name}, like another pod in ${d.namespace}`,
      );
    } else seen.set(key, d);
  }

  const { last } = cidrRange(POD_CIDR);
  const ips = podIps(drafts, options.podIPs);
  if (drafts.length > 0 && Math.max(...ips.map(ipToInt)) >= last) {
    problems.add(
      posAt(drafts[drafts.length - 1].source, ''),
      `too many pods for the pod CIDR ${POD_CIDR}`,
    );
  }

  const ignored: IgnoredItem[] = [...scenario.ignored];
  const services = planServices(
    scenario.services,
    drafts.map((d, i) => ({
      namespace: d.namespace,
      name: d.name,
      ip: ips[i],
      labels: d.labels,
      spec: d.spec,
    })),
    problems,
    (svc) => {
      const object = `Service ${svc.namespace}/${svc.name}`;
      const reason = `the lab provides kube-dns itself (the node answers at ${KUBE_DNS_IP})`;
      ignored.push({
        ...posAt(svc.source, ''),
        object,
        reason,
        message: `${object} ignored: ${reason}`,
      });
    },
  );

  const dockerNames = new Map<string, string>([
    [nodeContainerName(lab), 'the node'],
    [labNetworkName(lab), 'the network'],
  ]);
  const pods = drafts.map((d, i): PlannedPod => {
    const ip = ips[i];
    const uid = options.podUids?.get(`${d.namespace}/${d.name}`) ?? podUid(d.namespace, d.name);
    const facts: PodFacts = {
      namespace: d.namespace,
      name: d.name,
      uid,
      ip,
      labels: d.labels,
      annotations: d.annotations,
    };
    const hostname = podHostname(d.name, d.spec);
    const domain = d.spec.subdomain
      ? `${d.spec.subdomain}.${d.namespace}.svc.${CLUSTER_DOMAIN}`
      : undefined;
    const containers = plannedContainers(lab, d, facts, services, problems);
    const dockerPrefix = podDockerPrefix(lab, d.namespace, d.name);
    for (const name of [
      ...containers.map((c) => c.dockerName),
      ...LAB_POD_CONTAINERS.map((c) => `${dockerPrefix}-${c}`),
    ]) {
      const owner = dockerNames.get(name);
      if (owner && owner !== `${d.namespace}/${d.name}`) {
        problems.add(
          posAt(d.source, '/metadata/name'),
          `Docker container name ${name} of pod ${d.namespace}/${d.name} clashes with ${owner}`,
        );
      }
      dockerNames.set(name, `${d.namespace}/${d.name}`);
    }
    const pod: PlannedPod = {
      namespace: d.namespace,
      name: d.name,
      uid,
      ip,
      hostname,
      labels: d.labels,
      annotations: d.annotations,
      spec: d.spec,
      inject: d.inject,
      injectReason: d.injectReason,
      alreadyInjected: d.spec.alreadyInjected,
      containers,
      dockerPrefix,
      resolvConf: resolvConf(d.namespace),
      etcHosts: etcHosts(ip, hostname, domain, d.spec.hostAliases),
      source: d.source,
    };
    if (domain) pod.domain = domain;
    if (d.workload) pod.workload = d.workload;
    if (d.inject || d.spec.alreadyInjected)
      pod.sidecar = sidecarPlan(scenario.mesh, d.annotations, d.spec, injectorValues, nativeSidecars);
    return pod;
  });

  problems.throwIfAny(scenario.files);
  const namespaces = scenario.namespaces.some((n) => n.name === 'kube-system')
    ? scenario.namespaces
    : [
        ...scenario.namespaces,
        { name: 'kube-system', labels: {}, annotations: {}, declared: false },
      ];
  const plan: LabPlan = {
    lab,
    network: {
      name: labNetworkName(lab),
      subnet: LAB_SUBNET,
      ipRange: POD_CIDR,
      gateway: LAB_GATEWAY,
    },
    node: { dockerName: nodeContainerName(lab), hostname: NODE_HOSTNAME, ip: NODE_IP },
    clusterDomain: CLUSTER_DOMAIN,
    podCidr: POD_CIDR,
    serviceCidr: SERVICE_CIDR,
    dns: {
      ip: KUBE_DNS_IP,
      zone: buildDnsZone(
        namespaces.map((n) => n.name),
        services,
        pods,
      ),
    },
    namespaces,
    pods,
    services,
    mesh: scenario.mesh,
    injectorValues,
    sidecars: scenario.sidecars,
    serviceEntries: scenario.serviceEntries,
    kubernetesVersion,
    nativeSidecars,
    ignored,
  };
  if (scenario.description) plan.description = scenario.description;
  if (scenario.lab) plan.labDoc = scenario.lab;
  return plan;
}
