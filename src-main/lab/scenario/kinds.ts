// The Kubernetes and Istio kinds the lab knows: which it models, which it accepts and ignores, and why.

export type ModelledKind =
  | 'Namespace'
  | 'Pod'
  | 'Deployment'
  | 'Service'
  | 'ConfigMap'
  | 'Sidecar'
  | 'ServiceEntry'
  | 'Lab'
  | 'List';

interface KindDef {
  kind: string;
  group: string;
  versions: string[];
  /** Versions Kubernetes or Istio no longer serve, with the release that removed them. */
  removed?: Record<string, string>;
  namespaced: boolean;
  /** Undefined: modelled. Otherwise why the lab accepts the object and does nothing with it. */
  ignore?: string;
}

const NO_WORKLOAD = 'the lab runs Pods and Deployments only';
const NO_VOLUMES = 'the lab has no volumes';
const NO_RBAC = 'the lab has no API authorization';
const NO_SCHEDULING = 'the lab has one node and does no scheduling';
const ISTIO_LATER = "the lab's control plane reads Sidecar, ServiceEntry and the mesh config only";
const NO_GATEWAYS = 'the lab has no gateways';
const WEBHOOKS = 'the lab runs no admission webhooks';
const OLD_APPS = { v1beta1: 'Kubernetes 1.16', v1beta2: 'Kubernetes 1.16' };
const ISTIO_NET = ['v1', 'v1beta1', 'v1alpha3'];
const ISTIO_SEC = ['v1', 'v1beta1'];
const GW_API = 'gateway.networking.k8s.io';

const core = (kind: string, namespaced: boolean, ignore?: string): KindDef => ({
  kind,
  group: '',
  versions: ['v1'],
  namespaced,
  ignore,
});

const KINDS: KindDef[] = [
  core('Namespace', false),
  core('Pod', true),
  core('Service', true),
  core('ConfigMap', true),
  core('List', false),
  {
    kind: 'Deployment',
    group: 'apps',
    versions: ['v1'],
    removed: OLD_APPS,
    namespaced: true,
  },
  { kind: 'Sidecar', group: 'networking.istio.io', versions: ISTIO_NET, namespaced: true },
  { kind: 'ServiceEntry', group: 'networking.istio.io', versions: ISTIO_NET, namespaced: true },
  { kind: 'Lab', group: 'sidecarlab.dev', versions: ['v1'], namespaced: false },

  core('ServiceAccount', true, 'the lab has no service accounts or tokens'),
  core('Secret', true, 'the lab has no volumes or secrets'),
  core('PersistentVolumeClaim', true, NO_VOLUMES),
  core('PersistentVolume', false, NO_VOLUMES),
  core('Endpoints', true, 'endpoints are computed from Service selectors'),
  core('LimitRange', true, 'the lab sets no resource limits'),
  core('ResourceQuota', true, 'the lab sets no resource limits'),
  core('ReplicationController', true, NO_WORKLOAD),
  core('PodTemplate', true, NO_WORKLOAD),
  core('Event', true, 'events are written by the cluster'),
  core('Node', false, 'the lab has its own single node'),
  core('Binding', true, NO_SCHEDULING),
  core('ComponentStatus', false, 'the lab has no control-plane components to report'),
  ...['StatefulSet', 'DaemonSet', 'ReplicaSet', 'ControllerRevision'].map((kind): KindDef => ({
    kind,
    group: 'apps',
    versions: ['v1'],
    removed: OLD_APPS,
    namespaced: true,
    ignore: NO_WORKLOAD,
  })),
  { kind: 'Job', group: 'batch', versions: ['v1'], namespaced: true, ignore: NO_WORKLOAD },
  {
    kind: 'CronJob',
    group: 'batch',
    versions: ['v1'],
    removed: { v1beta1: 'Kubernetes 1.25' },
    namespaced: true,
    ignore: NO_WORKLOAD,
  },
  {
    kind: 'EndpointSlice',
    group: 'discovery.k8s.io',
    versions: ['v1'],
    namespaced: true,
    ignore: 'endpoints are computed from Service selectors',
  },
  {
    kind: 'Ingress',
    group: 'networking.k8s.io',
    versions: ['v1'],
    removed: { v1beta1: 'Kubernetes 1.22' },
    namespaced: true,
    ignore: 'the lab has no ingress controller',
  },
  {
    kind: 'IngressClass',
    group: 'networking.k8s.io',
    versions: ['v1'],
    namespaced: false,
    ignore: 'the lab has no ingress controller',
  },
  {
    kind: 'NetworkPolicy',
    group: 'networking.k8s.io',
    versions: ['v1'],
    namespaced: true,
    ignore: 'the lab does not enforce NetworkPolicy',
  },
  {
    kind: 'HorizontalPodAutoscaler',
    group: 'autoscaling',
    versions: ['v1', 'v2'],
    removed: { v2beta1: 'Kubernetes 1.25', v2beta2: 'Kubernetes 1.26' },
    namespaced: true,
    ignore: 'replicas are fixed in the lab',
  },
  {
    kind: 'PodDisruptionBudget',
    group: 'policy',
    versions: ['v1'],
    removed: { v1beta1: 'Kubernetes 1.25' },
    namespaced: true,
    ignore: 'pods are never evicted in the lab',
  },
  ...['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'].map((kind): KindDef => ({
    kind,
    group: 'rbac.authorization.k8s.io',
    versions: ['v1'],
    removed: { v1beta1: 'Kubernetes 1.22' },
    namespaced: !kind.startsWith('Cluster'),
    ignore: NO_RBAC,
  })),
  ...['StorageClass', 'CSIDriver', 'CSINode', 'VolumeAttachment'].map((kind): KindDef => ({
    kind,
    group: 'storage.k8s.io',
    versions: ['v1'],
    namespaced: false,
    ignore: NO_VOLUMES,
  })),
  {
    kind: 'PriorityClass',
    group: 'scheduling.k8s.io',
    versions: ['v1'],
    namespaced: false,
    ignore: NO_SCHEDULING,
  },
  {
    kind: 'RuntimeClass',
    group: 'node.k8s.io',
    versions: ['v1'],
    namespaced: false,
    ignore: NO_SCHEDULING,
  },
  {
    kind: 'Lease',
    group: 'coordination.k8s.io',
    versions: ['v1'],
    namespaced: true,
    ignore: 'the lab has no leader elections',
  },
  {
    kind: 'CertificateSigningRequest',
    group: 'certificates.k8s.io',
    versions: ['v1'],
    namespaced: false,
    ignore: 'the lab issues no certificates through the Kubernetes API',
  },
  {
    kind: 'CustomResourceDefinition',
    group: 'apiextensions.k8s.io',
    versions: ['v1'],
    removed: { v1beta1: 'Kubernetes 1.22' },
    namespaced: false,
    ignore: 'the lab knows the Istio kinds without their CRDs',
  },
  ...[
    'MutatingWebhookConfiguration',
    'ValidatingWebhookConfiguration',
    'ValidatingAdmissionPolicy',
    'ValidatingAdmissionPolicyBinding',
  ].map((kind): KindDef => ({
    kind,
    group: 'admissionregistration.k8s.io',
    versions: ['v1'],
    namespaced: false,
    ignore: WEBHOOKS,
  })),
  {
    kind: 'APIService',
    group: 'apiregistration.k8s.io',
    versions: ['v1'],
    namespaced: false,
    ignore: 'the lab serves no aggregated APIs',
  },
  {
    kind: 'FlowSchema',
    group: 'flowcontrol.apiserver.k8s.io',
    versions: ['v1'],
    namespaced: false,
    ignore: NO_RBAC,
  },
  {
    kind: 'PriorityLevelConfiguration',
    group: 'flowcontrol.apiserver.k8s.io',
    versions: ['v1'],
    namespaced: false,
    ignore: NO_RBAC,
  },
  ...['Gateway', 'VirtualService', 'DestinationRule', 'WorkloadEntry', 'WorkloadGroup'].map(
    (kind): KindDef => ({
      kind,
      group: 'networking.istio.io',
      versions: ISTIO_NET,
      namespaced: true,
      ignore: ISTIO_LATER,
    }),
  ),
  {
    kind: 'EnvoyFilter',
    group: 'networking.istio.io',
    versions: ['v1alpha3'],
    namespaced: true,
    ignore: ISTIO_LATER,
  },
  {
    kind: 'ProxyConfig',
    group: 'networking.istio.io',
    versions: ['v1beta1'],
    namespaced: true,
    ignore: ISTIO_LATER,
  },
  ...['PeerAuthentication', 'AuthorizationPolicy', 'RequestAuthentication'].map(
    (kind): KindDef => ({
      kind,
      group: 'security.istio.io',
      versions: ISTIO_SEC,
      namespaced: true,
      ignore: ISTIO_LATER,
    }),
  ),
  {
    kind: 'Telemetry',
    group: 'telemetry.istio.io',
    versions: ['v1', 'v1alpha1'],
    namespaced: true,
    ignore: ISTIO_LATER,
  },
  {
    kind: 'WasmPlugin',
    group: 'extensions.istio.io',
    versions: ['v1alpha1'],
    namespaced: true,
    ignore: ISTIO_LATER,
  },
  {
    kind: 'IstioOperator',
    group: 'install.istio.io',
    versions: ['v1alpha1'],
    namespaced: true,
    ignore: 'the lab installs its own control plane',
  },
  ...['Gateway', 'HTTPRoute', 'GRPCRoute'].map((kind): KindDef => ({
    kind,
    group: GW_API,
    versions: ['v1', 'v1beta1'],
    namespaced: true,
    ignore: NO_GATEWAYS,
  })),
  {
    kind: 'GatewayClass',
    group: GW_API,
    versions: ['v1', 'v1beta1'],
    namespaced: false,
    ignore: NO_GATEWAYS,
  },
  {
    kind: 'ReferenceGrant',
    group: GW_API,
    versions: ['v1beta1', 'v1alpha2'],
    namespaced: true,
    ignore: NO_GATEWAYS,
  },
  ...['TCPRoute', 'TLSRoute', 'UDPRoute'].map((kind): KindDef => ({
    kind,
    group: GW_API,
    versions: ['v1alpha2'],
    namespaced: true,
    ignore: NO_GATEWAYS,
  })),
];

export type KindLookup =
  | { outcome: 'model'; kind: ModelledKind; namespaced: boolean }
  | { outcome: 'ignore'; namespaced: boolean; reason: string }
  | { outcome: 'error'; message: string; at: 'kind' | 'apiVersion' };

/** Groups whose kinds the lab knows completely: an unknown kind there is a mistake. */
function isKnownGroup(group: string): boolean {
  return (
    ['', 'apps', 'batch', 'policy', 'autoscaling', 'sidecarlab.dev'].includes(group) ||
    group.endsWith('.k8s.io') ||
    group === 'istio.io' ||
    group.endsWith('.istio.io')
  );
}

function splitApiVersion(apiVersion: string): { group: string; version: string } | undefined {
  const parts = apiVersion.split('/');
  if (parts.length === 1 && parts[0] !== '') return { group: '', version: parts[0] };
  if (parts.length === 2 && parts[0] !== '' && parts[1] !== '')
    return { group: parts[0], version: parts[1] };
  return undefined;
}

const apiVersionOf = (d: KindDef, v: string): string => (d.group ? `${d.group}/${v}` : v);

/** Levenshtein distance, for "did you mean" suggestions. */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

function suggestKind(kind: string, group: string): string | undefined {
  const names = [...new Set(KINDS.map((d) => d.kind))];
  const exact = names.find((n) => n.toLowerCase() === kind.toLowerCase());
  if (exact) return exact;
  const inGroup = KINDS.filter((d) => d.group === group).map((d) => d.kind);
  let best: string | undefined;
  let bestD = 3;
  for (const n of [...inGroup, ...names]) {
    const d = distance(kind.toLowerCase(), n.toLowerCase());
    if (d < bestD) [best, bestD] = [n, d];
  }
  return best;
}

/** Classifies a document's apiVersion and kind. */
export function lookupKind(apiVersion: string, kind: string): KindLookup {
  const gv = splitApiVersion(apiVersion);
  if (!gv)
    return { outcome: 'error', at: 'apiVersion', message: `malformed apiVersion ${apiVersion}` };
  const defs = KINDS.filter((d) => d.kind === kind);
  if (defs.length === 0) {
    if (!isKnownGroup(gv.group)) {
      return {
        outcome: 'ignore',
        namespaced: true,
        reason: `the lab does not model custom resources of ${gv.group}`,
      };
    }
    const hint = suggestKind(kind, gv.group);
    const tail = hint ? `; did you mean ${hint}?` : '';
    return {
      outcome: 'error',
      at: 'kind',
      message: `unknown kind ${kind} (apiVersion ${apiVersion})${tail}`,
    };
  }
  const def = defs.find((d) => d.group === gv.group);
  if (!def) {
    const uses = defs.map((d) => apiVersionOf(d, d.versions[0])).join(' or ');
    return {
      outcome: 'error',
      at: 'apiVersion',
      message: `${kind} is not served by apiVersion ${apiVersion}; use ${uses}`,
    };
  }
  if (!def.versions.includes(gv.version)) {
    const removedIn = def.removed?.[gv.version];
    const why = removedIn ? ` (removed in ${removedIn})` : '';
    const use = def.versions.map((v) => apiVersionOf(def, v)).join(' or ');
    return {
      outcome: 'error',
      at: 'apiVersion',
      message: `${kind} is not served by apiVersion ${apiVersion}${why}; use ${use}`,
    };
  }
  if (def.ignore !== undefined)
    return { outcome: 'ignore', namespaced: def.namespaced, reason: def.ignore };
  return { outcome: 'model', kind: def.kind as ModelledKind, namespaced: def.namespaced };
}

/** Every kind the lab knows, for documentation and tests. */
export function knownKinds(): { apiVersions: string[]; kind: string; modelled: boolean }[] {
  return KINDS.map((d) => ({
    kind: d.kind,
    apiVersions: d.versions.map((v) => apiVersionOf(d, v)),
    modelled: d.ignore === undefined,
  }));
}
