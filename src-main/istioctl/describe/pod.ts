// `istioctl x describe pod POD`: the pod, its Services and ports, the DestinationRules and VirtualServices that reach it, mTLS and gateways, as istioctl/pkg/describe prints them; then the lab's own lines on its Sidecar and interception.
import { portProtocol } from '../../../src-pod/sidecar/protocol';
import { kubeFlags, type KubeReader } from '../cluster';
import { ConfigDump, SECTION } from '../configdump/dump';
import { isObject, type Json } from '../configdump/json';
import { IstioctlError, NotImplementedError } from '../errors';
import { flagBool, flagString, parseFlags } from '../flags';
import { GLOBAL_FLAGS } from '../global-flags';
import type { IstioctlContext } from '../proxy-config';
import { labLines } from './lab-extras';
import { extendFQDN, LEVEL1, printDestinationRule, printVirtualService, resolveShortname, selects, subsetsFor, type IstioResource, type Labels } from './routing';

export const SEPARATOR = '--------------------\n';
const REQUIREMENTS = 'https://istio.io/latest/docs/ops/deployment/application-requirements/';
const ISTIO = '/apis/networking.istio.io/v1';

interface Meta {
  name: string;
  namespace: string;
  labels?: Labels;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
}
interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
}
interface Container {
  name: string;
  ports?: ContainerPort[];
  args?: string[];
  securityContext?: { runAsUser?: number };
  restartPolicy?: string;
}
export interface Pod {
  metadata: Meta;
  spec: { containers: Container[]; initContainers?: Container[]; securityContext?: { runAsUser?: number } };
  status?: { phase?: string; containerStatuses?: { name: string; ready: boolean }[]; initContainerStatuses?: { name: string; ready: boolean }[] };
}
interface ServicePort {
  name?: string;
  port: number;
  protocol?: string;
  appProtocol?: string;
  targetPort?: number | string;
}
export interface Service {
  metadata: Meta;
  spec: { selector?: Labels; ports?: ServicePort[] };
}

export const items = async <T>(api: KubeReader, path: string): Promise<T[]> => (await api.getOptional<{ items: T[] }>(path))?.items ?? [];

function isMeshed(pod: Pod): boolean {
  return pod.spec.containers.some((c) => c.name === 'istio-proxy') || (pod.spec.initContainers ?? []).some((c) => c.name === 'istio-proxy' && c.restartPolicy === 'Always');
}

function revisionOf(pod: Pod): string {
  const a = pod.metadata.annotations ?? {};
  if (a['istio.io/rev'] !== undefined) return a['istio.io/rev'];
  try {
    const status = JSON.parse(a['sidecar.istio.io/status'] ?? '') as { revision?: string };
    return status.revision ?? '';
  } catch {
    return '';
  }
}

export class PodDescriber {
  out = '';

  constructor(private readonly describeNs: string) {}

  kname(meta: { name: string; namespace: string }): string {
    return meta.namespace === this.describeNs ? meta.name : `${meta.name}.${meta.namespace}`;
  }

  printPod(pod: Pod): boolean {
    const ports: string[] = [];
    for (const c of pod.spec.containers) {
      for (const p of c.ports ?? []) ports.push(`${p.containerPort}${(p.protocol ?? 'TCP') !== 'TCP' ? `/${p.protocol}` : ''} (${c.name})`);
      if (c.name !== 'istio-proxy' && c.name !== 'istio-operator' && c.securityContext?.runAsUser === 1337) this.out += 'WARNING: User ID (UID) 1337 is reserved for the sidecar proxy.\n';
    }
    this.out += `Pod: ${this.kname(pod.metadata)}\n   Pod Revision: ${revisionOf(pod)}\n`;
    this.out += ports.length > 0 ? `   Pod Ports: ${ports.join(', ')}\n` : '   Pod does not expose ports\n';
    const phase = pod.status?.phase ?? '';
    if (phase !== 'Running') {
      this.out += `   Pod is not Running (${phase})\n`;
      return false;
    }
    for (const s of pod.status?.containerStatuses ?? []) if (!s.ready) this.out += `WARNING: Pod ${this.kname(pod.metadata)} Container ${s.name} NOT READY\n`;
    for (const s of pod.status?.initContainerStatuses ?? []) if (!s.ready) this.out += `WARNING: Pod ${this.kname(pod.metadata)} Init Container ${s.name} NOT READY\n`;
    if (!isMeshed(pod)) {
      this.out += `WARNING: ${this.kname(pod.metadata)} is not part of mesh; no Istio sidecar\n`;
      return false;
    }
    if (pod.spec.securityContext?.runAsUser === 1337) this.out += '   WARNING: User ID (UID) 1337 is reserved for the sidecar proxy.\n';
    const labels = pod.metadata.labels ?? {};
    if (!['service.istio.io/canonical-name', 'app.kubernetes.io/name', 'app'].some((k) => labels[k])) {
      this.out += `Suggestion: add required service name label for Istio telemetry. See ${REQUIREMENTS}.\n`;
    }
    if (!['service.istio.io/canonical-revision', 'app.kubernetes.io/version', 'version'].some((k) => labels[k])) {
      this.out += `Suggestion: add required service revision label for Istio telemetry. See ${REQUIREMENTS}.\n`;
    }
    return true;
  }

  printService(svc: Service, pod: Pod): void {
    this.out += `Service: ${this.kname(svc.metadata)}\n`;
    for (const port of svc.spec.ports ?? []) {
      if ((port.protocol ?? 'TCP') !== 'TCP') continue;
      const target = findPort(pod, port);
      if (target === undefined) {
        this.out += `   no suitable port for manifest: ${String((pod.metadata as { uid?: string }).uid ?? '')}\n`;
        continue;
      }
      this.out += `   Port: ${port.name ?? ''} ${port.port}/${protocolName(port)} targets pod port ${target}\n`;
    }
  }
}

/** pilot's FindPort: a numeric targetPort (or none: the port), or the container port of that name. */
function findPort(pod: Pod, port: ServicePort): number | undefined {
  if (port.targetPort === undefined || port.targetPort === '' || port.targetPort === 0) return port.port;
  if (typeof port.targetPort === 'number' || /^\d+$/.test(port.targetPort)) return Number(port.targetPort);
  for (const c of pod.spec.containers) for (const p of c.ports ?? []) if (p.name === port.targetPort && (p.protocol ?? 'TCP') === (port.protocol ?? 'TCP')) return p.containerPort;
  return undefined;
}

/** describe's findProtocolForPort: an unnamed port without appProtocol is auto-detected. */
export function protocolName(port: ServicePort): string {
  if (!port.name && !port.appProtocol && port.protocol !== 'UDP') return 'auto-detect';
  const p = portProtocol(port.port, port.name, port.appProtocol, (port.protocol ?? 'TCP') as 'TCP');
  return p === 'UNSUPPORTED' ? 'UnsupportedProtocol' : p;
}

const CONFIG_PATH = /\/apis\/networking(\.istio\.io)?\/v1(?:alpha3)?\/namespaces\/([^/]+)\/(virtual-service|destination-rule)\/([^/]+)/;

function istioConfig(metadata: unknown): string {
  const fm = isObject(metadata) && isObject(metadata['filter_metadata']) ? metadata['filter_metadata'] : {};
  const istio = isObject(fm['istio']) ? fm['istio'] : {};
  return typeof istio['config'] === 'string' ? istio['config'] : '';
}

/** What the sidecar's own config says configures this Service port: Istio's breadcrumbs in cluster and route metadata. */
function configFromDump(dump: ConfigDump, svc: Service, port: number, kind: 'virtual-service' | 'destination-rule'): { name: string; namespace: string } | undefined {
  const svcHost = extendFQDN(`${svc.metadata.name}.${svc.metadata.namespace}`);
  let path = '';
  if (kind === 'destination-rule') {
    const clusters = dump.optionalSection(SECTION.clusters)?.['dynamic_active_clusters'];
    const found = (Array.isArray(clusters) ? clusters : []).map((c: Json) => c['cluster']).find((c) => isObject(c) && c['name'] === `outbound|${port}||${svcHost}`);
    path = isObject(found) ? istioConfig(found['metadata']) : '';
  } else {
    const routes = dump.optionalSection(SECTION.routes)?.['dynamic_route_configs'];
    for (const r of Array.isArray(routes) ? (routes as Json[]) : []) {
      const rc = isObject(r['route_config']) ? r['route_config'] : {};
      const name = String(rc['name'] ?? '');
      if (name !== String(port) && !name.startsWith('http.') && !name.startsWith('https.')) continue;
      for (const vh of Array.isArray(rc['virtual_hosts']) ? (rc['virtual_hosts'] as Json[]) : []) {
        const domains = Array.isArray(vh['domains']) ? (vh['domains'] as string[]) : [];
        if (!domains.some((d) => d === svcHost)) continue;
        const first = Array.isArray(vh['routes']) ? (vh['routes'] as Json[])[0] : undefined;
        if (first) path = istioConfig(first['metadata']);
        break;
      }
      if (path) break;
    }
  }
  const m = CONFIG_PATH.exec(path);
  return m && m[3] === kind ? { name: m[4], namespace: m[2] } : undefined;
}

const byAge = (a: IstioResource, b: IstioResource): number =>
  (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || a.metadata.name.localeCompare(b.metadata.name);
const L7 = new Set(['HTTP', 'HTTP2', 'GRPC', 'GRPC-Web', 'auto-detect', 'UnsupportedProtocol']);

export async function describePod(args: string[], ctx: IstioctlContext): Promise<number> {
  // istioctl 1.22's describe attaches no --revision flag: the pod's own revision (annotation) picks the mesh ConfigMap.
  const p = parseFlags(args, [...GLOBAL_FLAGS, { name: 'ignoreUnmeshed', kind: 'bool' }]);
  if (p.positionals.length !== 1) throw new IstioctlError('expecting pod name');
  const cluster = await ctx.cluster(kubeFlags(p));
  const describeNs = flagString(p, 'namespace', cluster.namespace);
  const ignoreUnmeshed = flagBool(p, 'ignoreUnmeshed', false);
  const arg = p.positionals[0];
  const dot = arg.lastIndexOf('.');
  const [podName, ns] = dot > 0 ? [arg.slice(0, dot), arg.slice(dot + 1)] : [arg, describeNs];
  const api = cluster.api;
  const pod = await api.get<Pod>(`/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(podName)}`);
  const d = new PodDescriber(describeNs);
  const meshed = d.printPod(pod) || ignoreUnmeshed;
  const labels = pod.metadata.labels ?? {};
  const services = (await items<Service>(api, `/api/v1/namespaces/${encodeURIComponent(ns)}/services`)).filter((s) => Object.keys(s.spec.selector ?? {}).length > 0 && selects(s.spec.selector, labels));
  if (services.length === 0 && !ignoreUnmeshed) {
    d.out += `Warning: No Kubernetes Services select pod ${d.kname(pod.metadata)} (see https://istio.io/docs/setup/kubernetes/additional-setup/requirements/ )\n`;
  }
  d.out += SEPARATOR;
  ctx.out(d.out);
  d.out = '';
  let dump: ConfigDump | undefined;
  try {
    dump = ConfigDump.parse(await cluster.admin.request({ name: podName, namespace: ns }, 'GET', 'config_dump'));
  } catch (err) {
    if (!ignoreUnmeshed) throw new IstioctlError(`failed to execute command on sidecar: ${(err as Error).message}`);
  }
  if (dump) await describeServices(d, api, dump, pod, services, [labels]);
  d.out += SEPARATOR;
  d.out += await peerAuthentication(api, ns, labels, revisionOf(pod));
  d.out += await ingressInfo(api);
  if (meshed) d.out += await labLines(api, pod);
  ctx.out(d.out);
  return 0;
}

/** describePodServices: each Service with the DestinationRule and VirtualService reaching each port; subsets are matched against every pod in `podsLabels`. */
export async function describeServices(d: PodDescriber, api: KubeReader, dump: ConfigDump, pod: Pod, services: Service[], podsLabels: Labels[]): Promise<void> {
  const ns = pod.metadata.namespace;
  // The lab's sidecars carry no Istio breadcrumbs: the rules istiod would attach are found in the API instead.
  const drs = [...(await items<IstioResource>(api, `${ISTIO}/namespaces/${ns}/destinationrules`)), ...(ns === 'istio-system' ? [] : await items<IstioResource>(api, `${ISTIO}/namespaces/istio-system/destinationrules`))];
  const vss = (await items<IstioResource>(api, `${ISTIO}/virtualservices`)).sort(byAge);
  services.forEach((svc, row) => {
    if (row !== 0) d.out += SEPARATOR;
    d.printService(svc, pod);
    const ports = svc.spec.ports ?? [];
    const level = ports.length > 1 ? LEVEL1 : 0;
    const svcHost = extendFQDN(`${svc.metadata.name}.${svc.metadata.namespace}`);
    for (const port of ports) {
      if (ports.length > 1) d.out += `${port.port}:\n`;
      const drRef = configFromDump(dump, svc, port.port, 'destination-rule');
      const dr = drRef
        ? drs.find((x) => x.metadata.name === drRef.name && x.metadata.namespace === drRef.namespace)
        : drs.find((x) => extendFQDN(resolveShortname(String(x.spec['host'] ?? ''), x.metadata.namespace)) === svcHost);
      if (drRef && !dr) d.out += `WARNING: Proxy is stale; it references to non-existent destination rule ${drRef.name}.${drRef.namespace}\n`;
      if (dr) d.out += printDestinationRule(level, dr, d.kname(dr.metadata), podsLabels);
      const { matching, nonmatching } = subsetsFor(dr, podsLabels);
      const vsRef = configFromDump(dump, svc, port.port, 'virtual-service');
      const vs = vsRef
        ? vss.find((x) => x.metadata.name === vsRef.name && x.metadata.namespace === vsRef.namespace)
        : L7.has(protocolName(port))
          ? vss.find((x) => {
              const gateways = Array.isArray(x.spec['gateways']) ? (x.spec['gateways'] as string[]) : [];
              const hosts = Array.isArray(x.spec['hosts']) ? (x.spec['hosts'] as string[]) : [];
              return (gateways.length === 0 || gateways.includes('mesh')) && hosts.some((h) => extendFQDN(resolveShortname(h, x.metadata.namespace)) === svcHost);
            })
          : undefined;
      if (vsRef && !vs) d.out += `WARNING: Proxy is stale; it references to non-existent virtual service ${vsRef.name}.${vsRef.namespace}\n`;
      if (vs) d.out += printVirtualService(level, vs, d.kname(vs.metadata), { svcHost, matching, nonmatching, ...(dr ? { dr, drName: d.kname(dr.metadata) } : {}) });
    }
  });
}

/** No PeerAuthentication is served by the lab's API: the mesh default, PERMISSIVE, is in effect. */
async function peerAuthentication(api: KubeReader, ns: string, labels: Labels, revision: string): Promise<string> {
  // getMeshConfig: a revision other than default has its own ConfigMap, istio-<revision>.
  const name = revision === '' || revision === 'default' ? 'istio' : `istio-${revision}`;
  const mesh = await api.getOptional<{ data?: Record<string, string> }>(`/api/v1/namespaces/istio-system/configmaps/${encodeURIComponent(name)}`);
  if (!mesh) throw new IstioctlError(`failed to fetch mesh config: could not read configmap "${name}" from namespace "istio-system": configmaps "${name}" not found`);
  const root = /^rootNamespace:\s*(\S+)/m.exec(mesh.data?.['mesh'] ?? '')?.[1] ?? 'istio-system';
  const pas = [...(await items<IstioResource>(api, `/apis/security.istio.io/v1/namespaces/${root}/peerauthentications`)), ...(await items<IstioResource>(api, `/apis/security.istio.io/v1/namespaces/${ns}/peerauthentications`))];
  const matched = pas.filter((pa) => selects((isObject(pa.spec['selector']) ? pa.spec['selector']['matchLabels'] : undefined) as Labels | undefined, labels));
  if (matched.length > 0) throw new NotImplementedError('describing PeerAuthentications');
  return 'Effective PeerAuthentication:\n   Workload mTLS mode: PERMISSIVE\n';
}

export async function ingressInfo(api: KubeReader): Promise<string> {
  const pods = (await items<Pod>(api, '/api/v1/pods')).filter((p) => p.metadata.labels?.['istio'] === 'ingressgateway' && p.status?.phase === 'Running');
  if (pods.length === 0) return 'Skipping Gateway information (no ingress gateway pods)\n';
  throw new NotImplementedError('describing ingress gateways');
}

