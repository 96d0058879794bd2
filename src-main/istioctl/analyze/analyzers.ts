// The interception-relevant analyzers of istioctl analyze, on files alone: port naming (IST0118), UID 1337 (IST0144),
// injection (IST0102, IST0103), destination hosts (IST0101), following istio/istio pkg/config/analysis/analyzers.
import { arr, isObject, obj, str, type Json } from '../configdump/json';
import { MESSAGES, type Message } from './messages';
import { fullName, type Resource } from './resources';
import { destinationHosts } from './destination-hosts';

const ISTIO_PROXY = 'istio-proxy';
const ISTIO_OPERATOR = 'istio-operator';
const PROXY_UID = 1337;

// pkg/config/protocol.Parse (case-insensitive) and the ports Kubernetes conversion treats as TCP when unnamed.
const PROTOCOLS = new Set(['tcp', 'udp', 'grpc', 'grpc-web', 'http', 'http_proxy', 'http2', 'https', 'tls', 'mongo', 'redis', 'mysql']);
const WELL_KNOWN_TCP_PORTS = new Set([3306, 27017, 6379]);

/** pkg/config/kube.ConvertProtocol reduced to its question here: is the port's protocol unsupported (to be sniffed)? */
export function protocolUnsupported(port: Json): boolean {
  const proto = str(port, 'protocol');
  if (proto === 'UDP' || proto === 'SCTP') return false;
  let name = str(port, 'name');
  if (typeof port.appProtocol === 'string') {
    name = port.appProtocol;
    if (['kubernetes.io/h2c', 'kubernetes.io/ws', 'kubernetes.io/wss'].includes(name)) return false;
  }
  if (name.toLowerCase().startsWith('grpc-web')) return false;
  const dash = name.indexOf('-');
  const prefix = (dash >= 0 ? name.slice(0, dash) : name).toLowerCase();
  if (PROTOCOLS.has(prefix)) return false;
  return !WELL_KNOWN_TCP_PORTS.has(Number(port.port));
}

/** Istio's control plane is left out of IST0118 and IST0144 (util.IsIstioControlPlane). */
function isControlPlane(r: Resource): boolean {
  const istio = r.labels.istio;
  return istio === 'pilot' || istio === 'ingressgateway' || istio === 'egressgateway' || r.labels.release === 'istio';
}

/** IntOrString's String(): the number or the name; absent is 0. */
function targetPortText(port: Json): string {
  const t = port.targetPort;
  return typeof t === 'string' || typeof t === 'number' ? String(t) : '0';
}

function portNames(r: Resource, out: Message[]): void {
  if (r.kind !== 'Service' || isControlPlane(r)) return;
  const spec = obj(r.body, 'spec');
  arr(spec, 'ports').forEach((port, i) => {
    if (!isObject(port)) return;
    const externalTcp = str(port, 'name') === 'tcp' && str(spec, 'type') === 'ExternalName';
    if (!protocolUnsupported(port) && !externalTcp) return;
    out.push({
      type: MESSAGES.PortNameIsNotUnderNamingConvention,
      resource: r,
      params: [str(port, 'name'), Number(port.port ?? 0), targetPortText(port)],
      line: r.lineOf(['spec', 'ports', i]),
    });
  });
}

/** The pod spec of a Pod or of a Deployment's template. */
function podSpec(r: Resource): Json | undefined {
  if (r.kind === 'Pod') return obj(r.body, 'spec');
  if (r.kind === 'Deployment') return obj(obj(obj(r.body, 'spec'), 'template'), 'spec');
  return undefined;
}

function applicationUID(r: Resource, out: Message[]): void {
  const spec = podSpec(r);
  if (!spec || isControlPlane(r)) return;
  const runsAsProxy = (v: unknown): boolean => Number(obj(v, 'securityContext').runAsUser) === PROXY_UID;
  if (runsAsProxy(spec)) out.push({ type: MESSAGES.InvalidApplicationUID, resource: r, params: [] });
  for (const c of arr(spec, 'containers')) {
    const name = str(c, 'name');
    if (name !== ISTIO_PROXY && name !== ISTIO_OPERATOR && runsAsProxy(c)) {
      out.push({ type: MESSAGES.InvalidApplicationUID, resource: r, params: [] });
    }
  }
}

const SYSTEM_NAMESPACES = new Set(['kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage', 'istio-system']);

function injection(resources: Resource[], out: Message[]): void {
  const injected = new Set<string>();
  for (const ns of resources.filter((r) => r.kind === 'Namespace')) {
    if (SYSTEM_NAMESPACES.has(ns.name)) continue;
    if (ns.labels['istio.io/dataplane-mode'] === 'ambient') continue;
    const legacy = ns.labels['istio-injection'];
    const revision = ns.labels['istio.io/rev'];
    if (legacy === undefined && revision === undefined) {
      out.push({ type: MESSAGES.NamespaceNotInjected, resource: ns, params: [ns.name, ns.name] });
      continue;
    }
    if (legacy === 'enabled' || (legacy === undefined && revision !== undefined)) injected.add(ns.name);
  }
  for (const pod of resources.filter((r) => r.kind === 'Pod')) {
    if (!injected.has(pod.namespace)) continue;
    const inject = pod.annotations['sidecar.istio.io/inject'] ?? pod.labels['sidecar.istio.io/inject'];
    if (inject !== undefined && inject.toLowerCase() === 'false') continue;
    const spec = obj(pod.body, 'spec');
    if (spec.hostNetwork === true) continue;
    const all = [...arr(spec, 'containers'), ...arr(spec, 'initContainers')];
    if (!all.some((c) => str(c, 'name') === ISTIO_PROXY)) {
      out.push({ type: MESSAGES.PodMissingProxy, resource: pod, params: [fullName(pod)] });
    }
  }
}

export const ANALYZERS = ['applicationUID.Analyzer', 'injection.Analyzer', 'service.PortNameAnalyzer', 'virtualservice.DestinationHostAnalyzer'];

export function analyze(resources: Resource[]): Message[] {
  const out: Message[] = [];
  for (const r of resources) {
    portNames(r, out);
    applicationUID(r, out);
  }
  injection(resources, out);
  destinationHosts(resources, out);
  return out;
}
