// The typed model of a scenario: what the Kubernetes manifests say, validated, with source positions.
import type { InjectorValues } from '../injection/values';
import type { NativeSidecarMode } from '../injection/native-sidecars';

/** A 1-based position in a scenario file. */
export interface Pos {
  file: string;
  line: number;
  col: number;
}

/**
 * Where one object (one YAML document, or one item of a `kind: List`) came from. `paths` maps a
 * JSON pointer relative to the object (`/spec/containers/0/image`, `/metadata/annotations/
 * sidecar.istio.io~1inject`) to the [line, col] of that value, `keys` to the [line, col] of the
 * mapping key, so later stages (the control plane, the plan) can point at any node of it.
 * Plain data so it crosses the IPC/WebSocket contract unchanged.
 */
export interface SourceRef extends Pos {
  /** 0-based index of the YAML document in its file. */
  doc: number;
  paths: Record<string, [number, number]>;
  keys: Record<string, [number, number]>;
  /**
   * Where the text of a string value starts when that is not where the node starts (quoted and
   * block scalars): [line, col, 1 when the text's lines map 1:1 to file lines (a `|` block)].
   */
  strings: Record<string, [number, number, number]>;
}

export type Labels = Record<string, string>;

export interface ObjectMeta {
  name: string;
  /** Empty for cluster-scoped kinds. */
  namespace: string;
  labels: Labels;
  annotations: Record<string, string>;
}

export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export type InterceptionMode = 'REDIRECT' | 'TPROXY' | 'NONE';

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol: Protocol;
}

/** `env` entry: a literal value, or a downward-API field reference resolved per pod by the plan. */
export interface EnvVar {
  name: string;
  value?: string;
  /** `valueFrom.fieldRef.fieldPath`, e.g. `status.podIP`, `metadata.labels['app']`. */
  fieldPath?: string;
}

export interface ContainerSpec {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  env: EnvVar[];
  ports: ContainerPort[];
  runAsUser?: number;
  runAsGroup?: number;
  /** `restartPolicy: Always` on an init container: a Kubernetes native sidecar. */
  restartAlways?: boolean;
  /** securityContext.privileged of an injected istio-proxy. */
  privileged?: boolean;
  /** JSON pointer of this container inside its object, for error positions. */
  path: string;
}

export interface HostAlias {
  ip: string;
  hostnames: string[];
}

export interface PodSpec {
  /** App containers: for an injected pod, every container except `istio-proxy`. */
  containers: ContainerSpec[];
  /** Init containers other than `istio-init` (and other than a native `istio-proxy`). */
  initContainers: ContainerSpec[];
  /** The pod arrived already injected (it has an `istio-proxy` container). */
  alreadyInjected: boolean;
  /** `istio-init` of an already injected pod; its arguments are used verbatim. */
  injectedInit?: ContainerSpec;
  /** Injected in Istio's CNI mode (istio-validation, no istio-init): the rules exist before any init container. */
  cni?: boolean;
  /** `istio-proxy` of an already injected pod. */
  injectedProxy?: ContainerSpec;
  hostname?: string;
  subdomain?: string;
  hostAliases: HostAlias[];
  hostNetwork: boolean;
  /** kubelet's `<SVC>_SERVICE_HOST`-style variables (default true). */
  enableServiceLinks: boolean;
  /** Pod-level securityContext: the defaults of every container's (see plan/security.ts). */
  runAsUser?: number;
  runAsGroup?: number;
  /** Pod-level only: a supplementary group of every container's first process. */
  fsGroup?: number;
  supplementalGroups?: number[];
}

export interface InjectDecision {
  /** The lab's injector must add istio-init and istio-proxy (false for an already injected pod). */
  inject: boolean;
  /** Why, in Istio's terms, e.g. `namespace default has istio-injection=enabled`. */
  reason: string;
}

export interface PodObject extends ObjectMeta {
  kind: 'Pod';
  spec: PodSpec;
  injection: InjectDecision;
  source: SourceRef;
}

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values: string[];
}

export interface LabelSelector {
  matchLabels: Labels;
  matchExpressions: LabelSelectorRequirement[];
}

export interface PodTemplate {
  labels: Labels;
  annotations: Record<string, string>;
  spec: PodSpec;
}

export interface DeploymentObject extends ObjectMeta {
  kind: 'Deployment';
  replicas: number;
  selector: LabelSelector;
  template: PodTemplate;
  injection: InjectDecision;
  source: SourceRef;
}

export type Workload = PodObject | DeploymentObject;

export interface ServicePortSpec {
  name?: string;
  port: number;
  /** Number, or the name of a container port; defaults to `port`. */
  targetPort: number | string;
  protocol: Protocol;
  appProtocol?: string;
  /** JSON pointer of this port inside the Service, for error positions. */
  path: string;
}

export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';

export interface ServiceSpec extends ObjectMeta {
  kind: 'Service';
  type: ServiceType;
  /** An explicit `spec.clusterIP` (validated and honoured by the plan). */
  clusterIP?: string;
  /** `clusterIP: None`. */
  headless: boolean;
  externalName?: string;
  /** Undefined (or empty in the manifest): no selector, endpoints are not computed from pods. */
  selector?: Labels;
  ports: ServicePortSpec[];
  source: SourceRef;
}

export interface NamespaceSpec {
  name: string;
  labels: Labels;
  annotations: Record<string, string>;
  /** False for a namespace that is only referenced (it exists implicitly, without labels). */
  declared: boolean;
  source?: SourceRef;
}

export type OutboundTrafficPolicyMode = 'ALLOW_ANY' | 'REGISTRY_ONLY';

/** The mesh config from `data.mesh` of ConfigMap `istio` in `istio-system` (or its defaults). */
export interface MeshConfig {
  outboundTrafficPolicy: { mode: OutboundTrafficPolicyMode };
  defaultConfig: {
    holdApplicationUntilProxyStarts: boolean;
    proxyMetadata: Record<string, string>;
    interceptionMode?: InterceptionMode;
    /** The whole `defaultConfig` mapping as written. */
    raw: Record<string, unknown>;
  };
  /** The whole mesh config as written. */
  raw: Record<string, unknown>;
  declared: boolean;
  source?: SourceRef;
}

/** ConfigMap `istio-sidecar-injector` in `istio-system`: its `data.values` over Istio's defaults. */
export interface InjectorConfig {
  values: InjectorValues;
  declared: boolean;
  source?: SourceRef;
}

/** An Istio resource kept loosely typed for the control plane. */
export interface IstioObject extends ObjectMeta {
  kind: 'Sidecar' | 'ServiceEntry';
  apiVersion: string;
  spec: Record<string, unknown>;
  source: SourceRef;
}

/** The lab-specific document (`apiVersion: sidecarlab.dev/v1`, `kind: Lab`). */
export interface LabDoc {
  name: string;
  description?: string;
  /** `spec.kubernetesVersion`: what `kubectl version` and the node report (`v1.33.1`). */
  kubernetesVersion?: string;
  /** `spec.istiod.env.ENABLE_NATIVE_SIDECARS`: istiod's native sidecar mode. */
  nativeSidecars?: NativeSidecarMode;
  /** `spec.symptoms`: the commands that show the problem a reproduction is about; `up` prints them. */
  symptoms?: string[];
  /** `spec` as written: traffic, exercises, … are read by later stages. */
  spec: Record<string, unknown>;
  source: SourceRef;
}

/** Something in the manifests that the lab accepts but does not act on. */
export interface IgnoredItem extends Pos {
  /** `Pod default/x`, `ServiceAccount default/httpbin`. */
  object: string;
  /** Set when one field of a modelled object is ignored, e.g. `spec.volumes`. */
  field?: string;
  reason: string;
  /** Human text, e.g. `field spec.volumes of Pod default/x ignored: the lab has no volumes`. */
  message: string;
}

/** One object of the manifests as written (a `List`'s items each on their own), for the lab's API to store. */
export interface RawDocument {
  apiVersion: string;
  kind: string;
  value: Record<string, unknown>;
  source: SourceRef;
}

export interface Scenario {
  /** The Lab document's name, else the first file's base name. */
  name: string;
  description?: string;
  files: string[];
  lab?: LabDoc;
  /** Declared namespaces first (document order), then implicit ones (`default` always exists). */
  namespaces: NamespaceSpec[];
  /** Pods and Deployments in document order (pod IPs are allocated in this order). */
  workloads: Workload[];
  services: ServiceSpec[];
  mesh: MeshConfig;
  /** The injector's values; absent means Istio's defaults. */
  injector?: InjectorConfig;
  sidecars: IstioObject[];
  serviceEntries: IstioObject[];
  ignored: IgnoredItem[];
  /** Every object read, modelled or ignored, in file and document order. */
  documents: RawDocument[];
}
