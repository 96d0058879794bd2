// ClusterIP allocation and endpoints, as the API server and the endpoints controller do them.
import { posAt, type Problems } from '../scenario/errors';
import type { PodSpec, ServicePortSpec, ServiceSpec } from '../scenario/types';
import {
  cidrRange,
  CLUSTER_DOMAIN,
  FIRST_ALLOCATED_SERVICE_IP,
  intToIp,
  ipToInt,
  KUBE_DNS_IP,
  KUBERNETES_SERVICE_IP,
  NODE_IP,
  SERVICE_CIDR,
} from './network';
import type { PlannedEndpoint, PlannedService, PlannedServicePort } from './types';

export interface PodRef {
  namespace: string;
  name: string;
  ip: string;
  labels: Record<string, string>;
  spec: PodSpec;
}

const APISERVER_LABEL = { key: 'component', value: 'kube-apiserver' };
export const APISERVER_NAMESPACE = 'kube-system';
const isKubernetes = (s: { namespace: string; name: string }) =>
  s.namespace === 'default' && s.name === 'kubernetes';
const isKubeDns = (s: { namespace: string; name: string }) =>
  s.namespace === 'kube-system' && s.name === 'kube-dns';

const fqdn = (ns: string, name: string) => `${name}.${ns}.svc.${CLUSTER_DOMAIN}`;

/** Container ports a named targetPort may refer to (Kubernetes' FindPort). */
function podPorts(spec: PodSpec) {
  const containers = [...spec.containers, ...spec.initContainers.filter((c) => c.restartAlways)];
  if (spec.injectedProxy) containers.push(spec.injectedProxy);
  return containers.flatMap((c) => c.ports);
}

function resolvePort(sp: ServicePortSpec, pod: PodRef): number | undefined {
  if (typeof sp.targetPort === 'number') return sp.targetPort;
  return podPorts(pod.spec).find((p) => p.name === sp.targetPort && p.protocol === sp.protocol)
    ?.containerPort;
}

/** Which pods back a service: its selector in its namespace; `default/kubernetes` without one gets the API server stand-ins. */
function selectPods(svc: ServiceSpec, pods: PodRef[]): PodRef[] {
  if (svc.selector) {
    const sel = svc.selector;
    return pods.filter(
      (p) =>
        p.namespace === svc.namespace && Object.entries(sel).every(([k, v]) => p.labels[k] === v),
    );
  }
  if (isKubernetes(svc)) {
    // The API server registers itself as the endpoint of default/kubernetes (no selector).
    return pods.filter(
      (p) =>
        p.namespace === APISERVER_NAMESPACE &&
        p.labels[APISERVER_LABEL.key] === APISERVER_LABEL.value,
    );
  }
  return [];
}

function allocate(services: ServiceSpec[], problems: Problems): Map<ServiceSpec, string> {
  const { first, last } = cidrRange(SERVICE_CIDR);
  // Both well-known addresses are reserved whether or not the scenario declares the services.
  const taken = new Map<string, string>([
    [KUBE_DNS_IP, 'kube-system/kube-dns'],
    [KUBERNETES_SERVICE_IP, 'default/kubernetes'],
  ]);
  const out = new Map<ServiceSpec, string>();
  const wantsIp = (s: ServiceSpec) => !s.headless && s.type !== 'ExternalName';
  for (const s of services) {
    if (!wantsIp(s) || !s.clusterIP) continue;
    const at = posAt(
      s.source,
      s.source.paths['/spec/clusterIP'] ? '/spec/clusterIP' : '/spec/clusterIPs/0',
    );
    const n = ipToInt(s.clusterIP);
    const owner = taken.get(s.clusterIP);
    const self = `${s.namespace}/${s.name}`;
    if (n <= first || n >= last) {
      problems.add(
        at,
        `clusterIP ${s.clusterIP} of Service ${s.namespace}/${s.name} is not inside the service CIDR ${SERVICE_CIDR}`,
      );
    } else if (owner && owner !== self) {
      problems.add(
        at,
        `clusterIP ${s.clusterIP} of Service ${s.namespace}/${s.name} is already allocated to ${owner}`,
      );
    } else {
      taken.set(s.clusterIP, self);
      out.set(s, s.clusterIP);
    }
  }
  const kubernetes = services.find(isKubernetes);
  if (kubernetes && wantsIp(kubernetes) && !kubernetes.clusterIP)
    out.set(kubernetes, KUBERNETES_SERVICE_IP);
  let next = ipToInt(FIRST_ALLOCATED_SERVICE_IP);
  for (const s of services) {
    if (!wantsIp(s) || out.has(s) || s.clusterIP) continue;
    while (taken.has(intToIp(next))) next++;
    if (next >= last) {
      problems.add(posAt(s.source, '/metadata/name'), `the service CIDR ${SERVICE_CIDR} is full`);
      continue;
    }
    const ip = intToIp(next);
    taken.set(ip, `${s.namespace}/${s.name}`);
    out.set(s, ip);
  }
  return out;
}

function planPorts(svc: ServiceSpec, selected: PodRef[], problems: Problems): PlannedServicePort[] {
  return svc.ports.map((sp) => {
    const endpoints: PlannedEndpoint[] = [];
    for (const pod of selected) {
      const port = resolvePort(sp, pod);
      if (port !== undefined)
        endpoints.push({ namespace: pod.namespace, pod: pod.name, ip: pod.ip, port });
    }
    if (typeof sp.targetPort === 'string' && selected.length > 0 && endpoints.length === 0) {
      const names = selected.map((p) => p.name).join(', ');
      problems.add(
        posAt(svc.source, `${sp.path}/targetPort`),
        `targetPort "${sp.targetPort}" of Service ${svc.namespace}/${svc.name}: no container of the selected pods (${names}) declares a ${sp.protocol} port named "${sp.targetPort}"`,
      );
    }
    const out: PlannedServicePort = {
      port: sp.port,
      targetPort: sp.targetPort,
      protocol: sp.protocol,
      endpoints,
    };
    if (sp.name) out.name = sp.name;
    if (sp.appProtocol) out.appProtocol = sp.appProtocol;
    return out;
  });
}

/** kube-dns, served by the node container itself. */
function kubeDns(): PlannedService {
  const ep = [{ namespace: 'kube-system', pod: 'node', ip: NODE_IP, port: 53 }];
  return {
    namespace: 'kube-system',
    name: 'kube-dns',
    fqdn: fqdn('kube-system', 'kube-dns'),
    type: 'ClusterIP',
    clusterIP: KUBE_DNS_IP,
    headless: false,
    labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/name': 'CoreDNS' },
    annotations: {},
    selector: { 'k8s-app': 'kube-dns' },
    ports: [
      { name: 'dns', port: 53, targetPort: 53, protocol: 'UDP', endpoints: ep },
      { name: 'dns-tcp', port: 53, targetPort: 53, protocol: 'TCP', endpoints: ep },
    ],
    selectedPods: [],
    origin: 'lab',
  };
}

/**
 * Plans every Service: declared ones in document order (a declared kube-system/kube-dns is
 * replaced by the lab's own and reported in `ignored`), then kube-dns, then `default/kubernetes`
 * at 10.96.0.1 when the scenario does not declare it (every cluster has it).
 */
export function planServices(
  declared: ServiceSpec[],
  pods: PodRef[],
  problems: Problems,
  onReplaced: (svc: ServiceSpec) => void,
): PlannedService[] {
  const services = declared.filter((s) => {
    if (!isKubeDns(s)) return true;
    onReplaced(s);
    return false;
  });
  const implicit = services.some(isKubernetes) ? undefined : implicitKubernetesService();
  const all: ServiceSpec[] = implicit ? [...services, implicit] : services;
  const ips = allocate(all, problems);
  const planned = all.map((svc): PlannedService => {
    const selected = svc.type === 'ExternalName' ? [] : selectPods(svc, pods);
    const out: PlannedService = {
      namespace: svc.namespace,
      name: svc.name,
      fqdn: fqdn(svc.namespace, svc.name),
      type: svc.type,
      headless: svc.headless,
      labels: svc.labels,
      annotations: svc.annotations,
      ports: planPorts(svc, selected, problems),
      selectedPods: selected.map((p) => ({
        name: p.name,
        ip: p.ip,
        ...(p.spec.hostname && p.spec.subdomain === svc.name ? { hostname: p.spec.hostname } : {}),
      })),
      origin: svc === implicit ? 'lab' : 'scenario',
    };
    const ip = ips.get(svc);
    if (ip) out.clusterIP = ip;
    if (svc.externalName) out.externalName = svc.externalName;
    if (svc.selector) out.selector = svc.selector;
    if (out.origin === 'scenario') out.source = svc.source;
    return out;
  });
  const dns = kubeDns();
  return implicit ? [...planned.slice(0, -1), dns, planned[planned.length - 1]] : [...planned, dns];
}

function implicitKubernetesService(): ServiceSpec {
  return {
    kind: 'Service',
    namespace: 'default',
    name: 'kubernetes',
    labels: { component: 'apiserver', provider: 'kubernetes' },
    annotations: {},
    type: 'ClusterIP',
    clusterIP: KUBERNETES_SERVICE_IP,
    headless: false,
    ports: [{ name: 'https', port: 443, targetPort: 6443, protocol: 'TCP', path: '/spec/ports/0' }],
    source: { file: '(lab)', line: 1, col: 1, doc: 0, paths: {}, keys: {}, strings: {} },
  };
}
