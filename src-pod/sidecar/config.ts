// The proxy configuration the lab's control plane pushes (its xDS), with validation and defaults.
import { isIP } from 'node:net';
import { parseProtocol, portProtocol, type IstioProtocol } from './protocol';
import { readProxyEnv, type AgentEnv } from './agent/agent-env';
import {
  ConfigError,
  Reader,
  parseDurationMs,
  type Json,
} from './config-reader';

export { ConfigError } from './config-reader';

export type OutboundMode = 'ALLOW_ANY' | 'REGISTRY_ONLY';

/** What the proxy runs on; everything is filled in by `validateConfig`. */
export interface ProxyConfig {
  /** Free-form label of this push (shown in /config_dump and /server_info). Default `""`. */
  version: string;
  pod: PodInfo;
  mesh: MeshSettings;
  /** Kubernetes Services the control plane made visible to this proxy, with their endpoints. */
  services: ServiceConfig[];
  /** Istio ServiceEntries. */
  serviceEntries: ServiceEntryConfig[];
  /** The Sidecar resource that selects this pod (or the namespace/root default), if any. */
  sidecar?: SidecarConfig;
  /** This pod's own ports, from the Services that select it (ignored when `sidecar.ingress` is set). */
  inboundPorts: InboundPort[];
  /**
   * istio-proxy's environment as the injector wrote it, the part pilot-agent reads
   * (ISTIO_KUBE_APP_PROBERS, ISTIO_PROMETHEUS_ANNOTATIONS…): the lab starts the container without
   * it, so the config carries it; the process environment wins.
   */
  proxyEnv?: AgentEnv;
}

export interface PodInfo {
  name: string;
  namespace: string;
  /** The pod IP: where inbound traffic is delivered (Istio >= 1.10 does not use 127.0.0.1). */
  ip: string;
  /** Workload name for metric labels (`source_workload`). Default: the pod name. */
  workload: string;
}

export interface MeshSettings {
  /** Mesh `outboundTrafficPolicy.mode`; a Sidecar's own policy overrides it. Default ALLOW_ANY. */
  outboundTrafficPolicy: { mode: OutboundMode };
  /**
   * Mesh `protocolDetectionTimeout`, in ms: how long a listener that sniffs waits for the client's
   * first bytes before taking the connection as plain TCP. Istio's default is 0: no timeout, so a
   * server-first protocol on a sniffed port waits forever. A number of ms or a duration string.
   */
  protocolDetectionTimeoutMs: number;
  /** Mesh `connectTimeout` for upstream connections, in ms (or a duration string). Default 10000. */
  connectTimeoutMs: number;
  /** Retries for outbound HTTP to known services (mesh `defaultHttpRetryPolicy.attempts`). Default 2. */
  httpRetryAttempts: number;
  /** Per-route timeout for HTTP, ms; 0 (Istio's default) means none. */
  routeTimeoutMs: number;
  /** Mesh `accessLogFile`: `""` (Istio's default profile) logs nothing; `/dev/stdout` (the demo profile) every request/connection. */
  accessLogFile: '' | '/dev/stdout';
}

export interface ServicePort {
  /** Port name; its prefix (`http-`, `tcp-`, …) declares the protocol as in Istio. */
  name: string;
  port: number;
  /** The endpoints' port (Kubernetes `targetPort`, resolved to a number). Default `port`. */
  targetPort: number;
  /** L4 protocol. Default TCP; UDP ports are never proxied. */
  protocol: 'TCP' | 'UDP' | 'SCTP';
  appProtocol?: string;
  /** Derived from appProtocol / name (read-only: any input value is ignored). */
  istioProtocol: IstioProtocol;
}

export interface Endpoint {
  /** Pod IP (Services) or IP / DNS name (ServiceEntry). */
  address: string;
  /** Per-endpoint port overrides, keyed by service port number or port name. */
  ports?: Record<string, number>;
}

export interface ServiceConfig {
  name: string;
  namespace: string;
  /** Default `NAME.NAMESPACE.svc.cluster.local`. */
  hostname: string;
  /** The ClusterIP, or `"None"` for a headless Service. */
  clusterIP: string;
  ports: ServicePort[];
  endpoints: Endpoint[];
}

export type Resolution = 'NONE' | 'STATIC' | 'DNS' | 'DNS_ROUND_ROBIN';

export interface ServiceEntryPort {
  number: number;
  name: string;
  /** The ServiceEntry's `protocol` (HTTP, TCP, TLS, …); absent means undeclared (sniffed): Istio ignores the name here. */
  protocol?: string;
  targetPort?: number;
  istioProtocol: IstioProtocol;
}

export interface ServiceEntryConfig {
  name: string;
  namespace: string;
  hosts: string[];
  /** IPs or CIDRs (`10.0.0.0/24`); empty means "match by host name / by port only". */
  addresses: string[];
  ports: ServiceEntryPort[];
  /** Default NONE: the original destination is used as it is. */
  resolution: Resolution;
  /** Default MESH_EXTERNAL. */
  location: 'MESH_EXTERNAL' | 'MESH_INTERNAL';
  /** For STATIC (IPs) and DNS (names); DNS without endpoints resolves the hosts themselves. */
  endpoints: Endpoint[];
}

export interface SidecarPort {
  number: number;
  protocol?: string;
  name?: string;
}

export interface SidecarConfig {
  name: string;
  namespace: string;
  /** Egress listeners: `hosts` as `namespace/dnsName` (`*`, `.` = own namespace, `~` = none). */
  egress: { port?: SidecarPort; hosts: string[] }[];
  /** Ingress listeners: traffic for `port.number` goes to `defaultEndpoint` (`127.0.0.1:8080`, `0.0.0.0:8080`). */
  ingress: { port: SidecarPort; defaultEndpoint: string }[];
  outboundTrafficPolicy?: { mode: OutboundMode };
}

export interface InboundPort {
  /** The container port traffic arrives on (a Service's targetPort). */
  port: number;
  name: string;
  appProtocol?: string;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  /** Hostname of the Service that exposes it (for metrics labels); optional. */
  service?: string;
  istioProtocol: IstioProtocol;
}

export const DEFAULT_PROTOCOL_DETECTION_TIMEOUT_MS = 0;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_HTTP_RETRY_ATTEMPTS = 2;

const MODES = ['ALLOW_ANY', 'REGISTRY_ONLY'] as const;
const L4 = ['TCP', 'UDP', 'SCTP'] as const;
const RESOLUTIONS = ['NONE', 'STATIC', 'DNS', 'DNS_ROUND_ROBIN'] as const;
const LOCATIONS = ['MESH_EXTERNAL', 'MESH_INTERNAL'] as const;
const DNS_NAME = /^(\*|(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$/i;

function readPod(r: Reader): PodInfo {
  const ip = r.string('ip');
  if (isIP(ip) === 0) r.fail('ip', `not an IP address: ${JSON.stringify(ip)}`);
  const name = r.string('name');
  return { name, namespace: r.string('namespace'), ip, workload: r.optString('workload') ?? name };
}

function readMesh(r: Reader | undefined): MeshSettings {
  const policy = r?.optObject('outboundTrafficPolicy');
  const duration = (key: string, fallback: number): number => {
    const v = r?.optRaw(key);
    if (v === undefined) return fallback;
    const ms = parseDurationMs(v);
    if (ms === undefined) r?.fail(key, `not a duration (ms number or "5s"/"100ms"): ${JSON.stringify(v)}`);
    return ms ?? fallback;
  };
  const accessLogFile = r?.optString('accessLogFile') ?? '';
  if (accessLogFile !== '' && accessLogFile !== '/dev/stdout') {
    r?.fail('accessLogFile', 'only "/dev/stdout" or "" (off) are supported');
  }
  return {
    outboundTrafficPolicy: { mode: policy?.optEnum('mode', MODES) ?? 'ALLOW_ANY' },
    protocolDetectionTimeoutMs: duration(
      'protocolDetectionTimeoutMs',
      duration('protocolDetectionTimeout', DEFAULT_PROTOCOL_DETECTION_TIMEOUT_MS),
    ),
    connectTimeoutMs: duration('connectTimeoutMs', duration('connectTimeout', DEFAULT_CONNECT_TIMEOUT_MS)),
    httpRetryAttempts: r?.optInt('httpRetryAttempts', 0, 10) ?? DEFAULT_HTTP_RETRY_ATTEMPTS,
    routeTimeoutMs: duration('routeTimeoutMs', 0),
    accessLogFile: accessLogFile as '' | '/dev/stdout',
  };
}

function readEndpoint(r: Reader, ipOnly: boolean): Endpoint {
  const address = r.string('address');
  if (ipOnly && isIP(address) === 0) r.fail('address', `not an IP address: ${JSON.stringify(address)}`);
  if (!ipOnly && isIP(address) === 0 && !DNS_NAME.test(address)) {
    r.fail('address', `not an IP address or DNS name: ${JSON.stringify(address)}`);
  }
  const ports = r.optObject('ports');
  if (!ports) return { address };
  const out: Record<string, number> = {};
  for (const key of ports.keys()) out[key] = ports.int(key, 1, 65535);
  return { address, ports: out };
}

function readServicePort(r: Reader): ServicePort {
  const name = r.optString('name') ?? '';
  const port = r.int('port', 1, 65535);
  const protocol = r.optEnum('protocol', L4) ?? 'TCP';
  const appProtocol = r.optString('appProtocol');
  return {
    name,
    port,
    targetPort: r.optInt('targetPort', 1, 65535) ?? port,
    protocol,
    ...(appProtocol === undefined ? {} : { appProtocol }),
    istioProtocol: portProtocol(port, name, appProtocol, protocol),
  };
}

function readService(r: Reader): ServiceConfig {
  const name = r.string('name');
  const namespace = r.string('namespace');
  const clusterIP = r.optString('clusterIP') ?? 'None';
  if (clusterIP !== 'None' && isIP(clusterIP) === 0) {
    r.fail('clusterIP', `not an IP address or "None": ${JSON.stringify(clusterIP)}`);
  }
  const ports = r.array('ports').map(readServicePort);
  uniquePorts(r, 'ports', ports.map((p) => `${p.port}/${p.protocol}`));
  return {
    name,
    namespace,
    hostname: r.optString('hostname') ?? `${name}.${namespace}.svc.cluster.local`,
    clusterIP,
    ports,
    endpoints: (r.optArray('endpoints') ?? []).map((e) => readEndpoint(e, true)),
  };
}

function uniquePorts(r: Reader, key: string, ids: string[]): void {
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) r.fail(key, `port ${id} appears twice`);
    seen.add(id);
  }
}

function readCidr(r: Reader, key: string, value: string): string {
  const [ip, bits, extra] = value.split('/');
  const family = isIP(ip);
  const max = family === 6 ? 128 : 32;
  const okBits = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= max);
  if (family === 0 || !okBits || extra !== undefined) {
    r.fail(key, `not an IP address or CIDR: ${JSON.stringify(value)}`);
  }
  return value;
}

function readServiceEntry(r: Reader): ServiceEntryConfig {
  const hosts = r.stringArray('hosts');
  if (hosts.length === 0) r.fail('hosts', 'needs at least one host');
  for (const h of hosts) if (!DNS_NAME.test(h)) r.fail('hosts', `not a DNS name: ${JSON.stringify(h)}`);
  const addresses = (r.optStringArray('addresses') ?? []).map((a) => readCidr(r, 'addresses', a));
  const ports = r.array('ports').map((p): ServiceEntryPort => {
    const name = p.optString('name') ?? '';
    const protocol = p.optString('protocol');
    const targetPort = p.optInt('targetPort', 1, 65535);
    if (protocol !== undefined && parseProtocol(protocol) === 'UNSUPPORTED') {
      p.fail('protocol', `unknown protocol ${JSON.stringify(protocol)}`);
    }
    return {
      number: p.int('number', 1, 65535),
      name,
      ...(protocol === undefined ? {} : { protocol }),
      ...(targetPort === undefined ? {} : { targetPort }),
      istioProtocol: parseProtocol(protocol ?? ''),
    };
  });
  uniquePorts(r, 'ports', ports.map((p) => String(p.number)));
  const resolution = r.optEnum('resolution', RESOLUTIONS) ?? 'NONE';
  const endpoints = (r.optArray('endpoints') ?? []).map((e) => readEndpoint(e, resolution === 'STATIC'));
  if (resolution === 'STATIC' && endpoints.length === 0) {
    r.fail('endpoints', 'resolution STATIC needs endpoints');
  }
  return {
    name: r.string('name'),
    namespace: r.string('namespace'),
    hosts,
    addresses,
    ports,
    resolution,
    location: r.optEnum('location', LOCATIONS) ?? 'MESH_EXTERNAL',
    endpoints,
  };
}

function readSidecarPort(r: Reader): SidecarPort {
  const protocol = r.optString('protocol');
  const name = r.optString('name');
  return {
    number: r.int('number', 1, 65535),
    ...(protocol === undefined ? {} : { protocol }),
    ...(name === undefined ? {} : { name }),
  };
}

/** `namespace/dnsName` as Istio's Sidecar egress hosts take it. */
function checkEgressHost(r: Reader, host: string): void {
  const slash = host.indexOf('/');
  const ns = host.slice(0, slash);
  const name = host.slice(slash + 1);
  if (slash <= 0 || !/^(\*|\.|~|[a-z0-9]([-a-z0-9]*[a-z0-9])?)$/.test(ns) || !DNS_NAME.test(name)) {
    r.fail('hosts', `not a "namespace/dnsName" egress host: ${JSON.stringify(host)}`);
  }
}

function readSidecar(r: Reader): SidecarConfig {
  const egress = (r.optArray('egress') ?? []).map((e) => {
    const port = e.optObject('port');
    const hosts = e.stringArray('hosts');
    if (hosts.length === 0) e.fail('hosts', 'needs at least one host');
    for (const h of hosts) checkEgressHost(e, h);
    return port ? { port: readSidecarPort(port), hosts } : { hosts };
  });
  const ingress = (r.optArray('ingress') ?? []).map((i) => {
    const defaultEndpoint = i.string('defaultEndpoint');
    if (parseDefaultEndpoint(defaultEndpoint) === undefined) {
      i.fail('defaultEndpoint', `expected "127.0.0.1:PORT" or "0.0.0.0:PORT": ${JSON.stringify(defaultEndpoint)}`);
    }
    return { port: readSidecarPort(i.object('port')), defaultEndpoint };
  });
  const policy = r.optObject('outboundTrafficPolicy');
  const mode = policy?.optEnum('mode', MODES);
  return {
    name: r.optString('name') ?? 'default',
    namespace: r.optString('namespace') ?? '',
    egress,
    ingress,
    ...(mode === undefined ? {} : { outboundTrafficPolicy: { mode } }),
  };
}

/** `127.0.0.1:8080` / `[::1]:8080` / `0.0.0.0:8080` (0.0.0.0 = the pod IP, as Istio does). */
export function parseDefaultEndpoint(value: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  if (!m) return undefined;
  const host = m[1] ?? m[2];
  const port = Number(m[3]);
  if (isIP(host) === 0 || port < 1 || port > 65535) return undefined;
  return { host, port };
}

function readInboundPort(r: Reader): InboundPort {
  const name = r.optString('name') ?? '';
  const appProtocol = r.optString('appProtocol');
  const protocol = r.optEnum('protocol', L4) ?? 'TCP';
  const service = r.optString('service');
  const port = r.int('port', 1, 65535);
  return {
    port,
    name,
    ...(appProtocol === undefined ? {} : { appProtocol }),
    protocol,
    ...(service === undefined ? {} : { service }),
    istioProtocol: portProtocol(port, name, appProtocol, protocol),
  };
}

/** Checks a pushed config (parsed JSON) and fills in defaults; throws ConfigError naming the field. */
export function validateConfig(input: unknown): ProxyConfig {
  const r = Reader.root(input as Json);
  const sidecar = r.optObject('sidecar');
  const proxyEnv = r.optObject('proxyEnv');
  const inboundPorts = (r.optArray('inboundPorts') ?? []).map(readInboundPort);
  uniquePorts(r, 'inboundPorts', inboundPorts.map((p) => `${p.port}/${p.protocol}`));
  const config: ProxyConfig = {
    version: r.optString('version') ?? '',
    pod: readPod(r.object('pod')),
    mesh: readMesh(r.optObject('mesh')),
    services: (r.optArray('services') ?? []).map(readService),
    serviceEntries: (r.optArray('serviceEntries') ?? []).map(readServiceEntry),
    ...(sidecar ? { sidecar: readSidecar(sidecar) } : {}),
    inboundPorts,
    ...(proxyEnv ? { proxyEnv: readProxyEnv(proxyEnv) } : {}),
  };
  const hosts = new Set<string>();
  config.services.forEach((s, i) => {
    if (hosts.has(s.hostname)) throw new ConfigError(`services[${i}].hostname: ${s.hostname} appears twice`);
    hosts.add(s.hostname);
  });
  return config;
}

/** Parses a JSON text and validates it; JSON syntax errors become ConfigErrors too. */
export function parseConfig(text: string): ProxyConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config is not JSON: ${(err as Error).message}`, { cause: err });
  }
  return validateConfig(json);
}
