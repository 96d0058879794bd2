// The cluster plan the runtime builds: network, node, pods with IPs, services with endpoints, DNS.
import type { InjectorValues } from '../injection/values';
import type {
  ContainerSpec,
  IgnoredItem,
  InterceptionMode,
  IstioObject,
  LabDoc,
  Labels,
  MeshConfig,
  NamespaceSpec,
  PodSpec,
  Protocol,
  ServiceType,
  SourceRef,
} from '../scenario/types';

export interface NetworkPlan {
  /** Docker network name. */
  name: string;
  subnet: string;
  ipRange: string;
  gateway: string;
}

export interface NodePlan {
  dockerName: string;
  hostname: string;
  ip: string;
}

export type ContainerRole = 'init' | 'app' | 'istio-init' | 'istio-proxy';

export interface PlannedContainer {
  name: string;
  /** `<lab>-<namespace>-<pod>-<container>`. */
  dockerName: string;
  role: ContainerRole;
  spec: ContainerSpec;
  /**
   * The environment kubelet gives the container: service link variables (when the pod enables
   * them), then the container's `env` with `fieldRef`s resolved and `$(VAR)` references expanded.
   */
  env: { name: string; value: string }[];
  /** `command` and `args` after `$(VAR)` expansion. */
  command?: string[];
  args?: string[];
}

/** The proxy configuration Istio's injector would give this pod. */
export interface SidecarPlan {
  /** `sidecar.istio.io/interceptionMode`, else ProxyConfig `interceptionMode`, else REDIRECT. */
  interceptionMode: InterceptionMode;
  /** Pod `proxy.istio.io/config` over mesh `defaultConfig`. */
  holdApplicationUntilProxyStarts: boolean;
  /** Mesh `defaultConfig.proxyMetadata`, then the pod's, key by key. */
  proxyMetadata: Record<string, string>;
  /** The merged ProxyConfig as written (mesh defaultConfig, then the pod's keys). */
  proxyConfig: Record<string, unknown>;
  /** values.global.proxy.privileged: istio-proxy runs privileged (with privilege escalation allowed). */
  privileged: boolean;
  /** Arguments of `istio-init` when the pod arrived already injected (used verbatim). */
  initArgs?: string[];
  /** istio-proxy is a native sidecar: an init container with restartPolicy Always, started before the app's init containers. */
  native: boolean;
}

export interface PlannedPod {
  namespace: string;
  name: string;
  /** Deterministic, UUID-shaped. */
  uid: string;
  ip: string;
  hostname: string;
  /** `<subdomain>.<ns>.svc.cluster.local` when spec.subdomain is set. */
  domain?: string;
  /** Set for pods of a Deployment: find a pod by its workload name. */
  workload?: { kind: 'Deployment'; name: string };
  /** The pod's labels (for a Deployment: the template's plus `pod-template-hash`). */
  labels: Labels;
  annotations: Record<string, string>;
  spec: PodSpec;
  /** The lab's injector adds istio-init and istio-proxy. */
  inject: boolean;
  injectReason: string;
  alreadyInjected: boolean;
  /** Present when the pod has a sidecar (injected by the lab or already injected). */
  sidecar?: SidecarPlan;
  /** Init containers, then app containers; for an already injected pod also istio-init/istio-proxy. */
  containers: PlannedContainer[];
  /** `<lab>-<namespace>-<pod>`: the lab's own containers are `<prefix>-pause` and `<prefix>-tap`. */
  dockerPrefix: string;
  /** What kubelet writes to /etc/resolv.conf. */
  resolvConf: string;
  /** What kubelet writes to /etc/hosts. */
  etcHosts: string;
  source: SourceRef;
}

export interface PlannedEndpoint {
  namespace: string;
  pod: string;
  ip: string;
  port: number;
}

export interface PlannedServicePort {
  name?: string;
  port: number;
  targetPort: number | string;
  protocol: Protocol;
  appProtocol?: string;
  endpoints: PlannedEndpoint[];
}

export interface PlannedService {
  namespace: string;
  name: string;
  /** `<name>.<namespace>.svc.cluster.local`. */
  fqdn: string;
  type: ServiceType;
  /** Absent for headless and ExternalName services. */
  clusterIP?: string;
  headless: boolean;
  externalName?: string;
  selector?: Labels;
  labels: Labels;
  annotations: Record<string, string>;
  ports: PlannedServicePort[];
  /** Pods selected (with or without a matching port): the A records of a headless service. */
  selectedPods: { name: string; ip: string; hostname?: string }[];
  /** `lab`: kube-dns (served by the node) or an implicit `default/kubernetes`. */
  origin: 'scenario' | 'lab';
  source?: SourceRef;
}

export type DnsRecord =
  | { name: string; type: 'A'; address: string }
  | { name: string; type: 'CNAME'; target: string }
  | { name: string; type: 'SRV'; priority: number; weight: number; port: number; target: string }
  | { name: string; type: 'PTR'; target: string };

/** What the kube-dns stand-in serves. */
export interface DnsZone {
  domain: string;
  /** Namespaces that exist: their `ns.svc.<domain>` names answer NOERROR, pod names may use them. */
  namespaces: string[];
  records: DnsRecord[];
}

export interface DnsAnswer {
  rcode: 'NOERROR' | 'NXDOMAIN';
  /** False when the name is outside the cluster domain (a cluster would forward it upstream). */
  authoritative: boolean;
  answers: DnsRecord[];
}

export interface LabPlan {
  lab: string;
  description?: string;
  network: NetworkPlan;
  node: NodePlan;
  clusterDomain: string;
  podCidr: string;
  serviceCidr: string;
  dns: { ip: string; zone: DnsZone };
  namespaces: NamespaceSpec[];
  /** In document order; IPs from 10.244.0.2 upward in that order. */
  pods: PlannedPod[];
  /** Declared services in document order, then the lab's own (kube-dns, implicit kubernetes). */
  services: PlannedService[];
  mesh: MeshConfig;
  /** The injector's values (ConfigMap istio-sidecar-injector, else Istio's defaults). */
  injectorValues: InjectorValues;
  sidecars: IstioObject[];
  serviceEntries: IstioObject[];
  labDoc?: LabDoc;
  /** The Kubernetes release the cluster reports (`kubectl version`, the node's kubelet). */
  kubernetesVersion: string;
  /** istiod's native sidecar decision for this cluster (ENABLE_NATIVE_SIDECARS and the node's version). */
  nativeSidecars: boolean;
  ignored: IgnoredItem[];
}
