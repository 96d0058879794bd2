// precheck's control-plane checks (istioctl 1.22 checkControlPlane): the Kubernetes version, install permissions through
// SelfSubjectAccessReviews, the Gateway API CRDs' versions, and the AlphaAnalyzer over namespaces, services, pods and deployments.
import type { Cluster, KubeReader } from '../cluster';
import { isObject, type Json } from '../configdump/json';
import { IstioctlError, NotImplementedError } from '../errors';
import { liveResources } from '../analyze/live';
import { MESSAGES, type Message } from '../analyze/messages';
import type { Resource } from '../analyze/resources';
import { ALPHA_ANNOTATIONS } from './alpha-annotations';

/**
 * istioctl/pkg/install/k8sversion's MinK8SVersion in 1.22: raised to 26 by istio/istio#48346 (early
 * 2024), left there until #53725 aligned it with 1.24's supported releases.
 */
export const MIN_K8S_MINOR = 26;

/** hashicorp/go-version's NewVersion pattern (a `v`, dot-separated numbers, a pre-release, metadata). */
const GO_VERSION =
  /^v?([0-9]+(\.[0-9]+)*?)(-([0-9]+[0-9A-Za-z\-~]*(\.[0-9A-Za-z\-~]+)*)|(-?([A-Za-z\-~]+[0-9A-Za-z\-~]*(\.[0-9A-Za-z\-~]+)*)))?(\+([0-9A-Za-z\-~]+(\.[0-9A-Za-z\-~]+)*))?$/;

/** k8sversion.extractKubernetesVersion: the minor of the server's gitVersion (`v1.17.7-gke.10` is 17), as go-version reads it. */
export function kubernetesMinor(gitVersion: string): number {
  const m = GO_VERSION.exec(gitVersion);
  if (!m) throw new IstioctlError(`could not parse Malformed version: ${gitVersion}`);
  const segments = m[1].split('.').map(Number);
  // go-version pads to three segments: `1` is 1.0.0.
  return segments[1] ?? 0;
}

/** The origin of precheck's cluster-wide messages (its clusterOrigin): no object, named `Cluster`. */
const CLUSTER: Resource = { kind: '', name: '', namespace: '', labels: {}, annotations: {}, body: {}, file: '', line: 0, lineOf: () => undefined, origin: 'Cluster' };

async function checkServerVersion(api: KubeReader): Promise<Message[]> {
  let gitVersion: string;
  try {
    gitVersion = String((await api.get<{ gitVersion?: string }>('/version')).gitVersion ?? '');
  } catch (err) {
    throw new IstioctlError(`failed to get the Kubernetes version: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (kubernetesMinor(gitVersion) >= MIN_K8S_MINOR) return [];
  return [{ type: MESSAGES.UnsupportedKubernetesVersion, resource: CLUSTER, params: [gitVersion, `1.${MIN_K8S_MINOR}`] }];
}

/**
 * What Istio's install creates, as 1.22 asks about it: the kind's name where a resource belongs (so
 * RBAC rules never match it; an admin is allowed anyway), and the Istio namespace even for cluster-scoped ones.
 */
function installResources(istioNamespace: string): { namespace?: string; group?: string; version: string; name: string }[] {
  const ns = istioNamespace;
  return [
    { version: 'v1', name: 'Namespace' },
    { namespace: ns, group: 'rbac.authorization.k8s.io', version: 'v1', name: 'ClusterRole' },
    { namespace: ns, group: 'rbac.authorization.k8s.io', version: 'v1', name: 'ClusterRoleBinding' },
    { namespace: ns, group: 'apiextensions.k8s.io', version: 'v1', name: 'CustomResourceDefinition' },
    { namespace: ns, group: 'rbac.authorization.k8s.io', version: 'v1', name: 'Role' },
    { namespace: ns, version: 'v1', name: 'ServiceAccount' },
    { namespace: ns, version: 'v1', name: 'Service' },
    { namespace: ns, group: 'apps', version: 'v1', name: 'Deployments' },
    { namespace: ns, version: 'v1', name: 'ConfigMap' },
    { group: 'admissionregistration.k8s.io', version: 'v1', name: 'MutatingWebhookConfiguration' },
    { group: 'admissionregistration.k8s.io', version: 'v1', name: 'ValidatingWebhookConfiguration' },
  ];
}

/** checkCanCreateResources: one SelfSubjectAccessReview; the refusal's reason, or `permission denied`, or the request's error. */
async function cannotCreate(api: KubeReader, r: { namespace?: string; group?: string; version: string; name: string }): Promise<string | undefined> {
  if (!api.create) throw new NotImplementedError('SelfSubjectAccessReviews on this cluster');
  const review = {
    kind: 'SelfSubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec: { resourceAttributes: { ...(r.namespace ? { namespace: r.namespace } : {}), verb: 'create', ...(r.group ? { group: r.group } : {}), version: r.version, resource: r.name } },
  };
  try {
    const answer = await api.create<{ status?: { allowed?: boolean; reason?: string } }>('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', review);
    if (answer.status?.allowed) return undefined;
    return answer.status?.reason || 'permission denied';
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

async function checkInstallPermissions(api: KubeReader, istioNamespace: string): Promise<Message[]> {
  const out: Message[] = [];
  for (const r of installResources(istioNamespace)) {
    const why = await cannotCreate(api, r);
    if (why !== undefined) out.push({ type: MESSAGES.InsufficientPermissions, resource: CLUSTER, params: [r.name, why] });
  }
  return out;
}

const GATEWAY_GROUP = 'gateway.networking.k8s.io';
const GATEWAY_VERSION = 'v1';
const BETA_KINDS = new Set(['Gateway', 'GatewayClass', 'HTTPRoute', 'ReferenceGrant']);

interface CrdList {
  items?: { metadata?: { name?: string }; spec?: { group?: string; names?: { kind?: string }; versions?: { name?: string; served?: boolean }[] } }[];
}

/** checkGatewayAPIs: Gateway API CRDs are optional, but those Istio uses must serve v1. */
async function checkGatewayAPIs(api: KubeReader): Promise<Message[]> {
  const crds = await api.get<CrdList>('/apis/apiextensions.k8s.io/v1/customresourcedefinitions');
  const out: Message[] = [];
  for (const crd of crds.items ?? []) {
    if (crd.spec?.group !== GATEWAY_GROUP || !BETA_KINDS.has(crd.spec.names?.kind ?? '')) continue;
    const served = [...new Set((crd.spec.versions ?? []).filter((v) => v.served).map((v) => v.name ?? ''))].sort();
    if (served.includes(GATEWAY_VERSION)) continue;
    const resource: Resource = { kind: 'CustomResourceDefinition', name: crd.metadata?.name ?? '', namespace: '', labels: {}, annotations: {}, body: {}, file: '', line: 0, lineOf: () => undefined };
    out.push({ type: MESSAGES.UnsupportedGatewayAPIVersion, resource, params: [served.length ? served.join(',') : 'none', GATEWAY_VERSION] });
  }
  return out;
}

/** Annotations the injector sets itself when istio-cni replaces istio-init: not reported then. */
const CNI_DEFAULTS = new Set([
  'sidecar.istio.io/interceptionMode',
  'traffic.sidecar.istio.io/includeInboundPorts',
  'traffic.sidecar.istio.io/excludeInboundPorts',
  'traffic.sidecar.istio.io/includeOutboundIPRanges',
]);

/** maturity.istioAnnotation: in Istio's namespace (`*istio.io/…`), or the documented kubernetes.io/ingress.class. */
function istioAnnotation(name: string): boolean {
  return name === 'kubernetes.io/ingress.class' || name.split('/')[0].endsWith('istio.io');
}

function withoutIstioInit(pod: Json): boolean {
  const spec = isObject(pod['spec']) ? pod['spec'] : {};
  const inits = Array.isArray(spec['initContainers']) ? spec['initContainers'] : [];
  return !inits.some((c) => isObject(c) && c['name'] === 'istio-init');
}

/** maturity.AlphaAnalyzer: each alpha Istio annotation on a Namespace, Service, Pod or Deployment (the injector's status aside). */
export function alphaAnnotations(resources: Resource[]): Message[] {
  const out: Message[] = [];
  for (const r of resources) {
    if (!['Namespace', 'Service', 'Pod', 'Deployment'].includes(r.kind)) continue;
    const cni = r.kind === 'Pod' && withoutIstioInit(r.body);
    for (const name of Object.keys(r.annotations)) {
      if (!istioAnnotation(name) || !ALPHA_ANNOTATIONS.has(name)) continue;
      if (name === 'sidecar.istio.io/status' || (cni && CNI_DEFAULTS.has(name))) continue;
      out.push({ type: MESSAGES.AlphaAnnotation, resource: r, params: [name] });
    }
  }
  return out;
}

/** checkControlPlane: its messages, the analyzer's limited to `namespace` (and cluster-scoped objects) when one is given. */
export async function checkControlPlane(cluster: Cluster, namespace: string, istioNamespace: string): Promise<Message[]> {
  const messages = await checkServerVersion(cluster.api);
  messages.push(...(await checkInstallPermissions(cluster.api, istioNamespace)));
  messages.push(...(await checkGatewayAPIs(cluster.api)));
  const analyzed = alphaAnnotations(await liveResources(cluster.api));
  messages.push(...analyzed.filter((m) => namespace === '' || m.resource.namespace === '' || m.resource.namespace === namespace));
  return messages;
}
