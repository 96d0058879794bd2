// The pushed xDS snapshot made runnable: listeners by address, filter chain selection, routes by Host, clusters.
import type { OutboundMode, ProxyConfig } from './config';
import { ipInCidr } from './net-util';
import { buildSnapshot, DEFAULT_PORTS, type ProxyPorts } from './xds';
import { ingressPortOverride } from './xds/clusters';
import {
  HCM_FILTER,
  type Cluster as ClusterResource,
  type FilterChain as ChainResource,
  type Listener as ListenerResource,
  type RouteConfiguration,
  type XdsSnapshot,
} from './xds/envoy-types';
import { BLACKHOLE, INBOUND_PASSTHROUGH, PASSTHROUGH } from './xds/routes';

export { BLACKHOLE, INBOUND_PASSTHROUGH, PASSTHROUGH };

export interface Address {
  address: string;
  port: number;
}

/** An Envoy cluster as the data plane uses it. `endpoints` empty and not ORIGINAL_DST means UH. */
export interface Cluster {
  name: string;
  endpoints: Address[];
  /** The upstream is the connection's original destination (ORIGINAL_DST). */
  originalDst: boolean;
  /** Service hostname for metric labels (cluster metadata); undefined for the passthrough ones. */
  service?: string;
  /** With `originalDst`: keep the original address but use this port (Sidecar ingress `0.0.0.0:PORT`). */
  port?: number;
  /** `upstream_bind_config`: inbound clusters connect from 127.0.0.6. */
  bind?: string;
  /** Round-robin cursor; clusters are rebuilt on every push. */
  rr: number;
}

/** The one route every virtual host here has (prefix `/`): where it goes and with which policy. */
export interface RouteEntry {
  /** `%ROUTE_NAME%`: `default`, `allow_any`, `block_all`. */
  name: string;
  cluster?: Cluster;
  /** The route names a cluster this proxy does not have: Envoy answers 503 NC. */
  missingCluster?: string;
  directStatus?: number;
  timeoutMs: number;
  retries: number;
  decorator?: string;
}

export interface RouteConfig {
  name: string;
  exact: Map<string, RouteEntry>;
  suffixes: { suffix: string; route: RouteEntry }[];
  any?: RouteEntry;
  ignorePort: boolean;
}

/** One filter chain of a listener, compiled. */
export interface FilterChain {
  /** The listener it belongs to (`0.0.0.0_80`, `virtualOutbound`, …). */
  listener: string;
  /** Envoy's chain name where Istio gives one (`virtualOutbound-catchall-tcp`, `0.0.0.0_8080`), else `""`. */
  name: string;
  port?: number;
  cidrs?: string[];
  transport?: string;
  alpn?: string[];
  kind: 'http' | 'tcp' | 'local';
  /** TCP proxy's cluster. */
  cluster?: Cluster;
  /** HTTP connection manager's routes. */
  routes?: RouteConfig;
  statPrefix: string;
  /** HTTP chains: the connection manager's `server_name` (Envoy's default `envoy`). */
  serverName?: string;
  /** Static bootstrap listeners the proxy serves itself (15090, 15021). */
  local?: 'prometheus' | 'health';
}

export interface ListenerRuntime {
  name: string;
  /** Envoy's listener stats prefix: the address, `0.0.0.0_15001`, `10.96.0.10_3306`. */
  statName: string;
  chains: FilterChain[];
  defaultChain?: FilterChain;
  /** Listener filters that read the first bytes (TLS and HTTP inspectors). */
  inspect: boolean;
  /** Ports where the inspectors do not wait for bytes (declared TCP on virtualInbound). */
  noInspect: Set<number>;
}

export interface RouteTable {
  config: ProxyConfig;
  snapshot: XdsSnapshot;
  mode: OutboundMode;
  /** Listeners bound to one address (`10.96.0.10_3306`), by `ip:port`. */
  byAddress: Map<string, ListenerRuntime>;
  /** Listeners on 0.0.0.0 by port: per-port HTTP listeners, the bootstrap's, virtualOutbound and virtualInbound. */
  byPort: Map<number, ListenerRuntime>;
  virtualOutbound: ListenerRuntime;
  virtualInbound: ListenerRuntime;
  clusters: Map<string, Cluster>;
  passthrough: Cluster;
  blackhole: Cluster;
  inboundPassthrough: Cluster;
}

const key = (address: string, port: number): string => `${address}:${port}`;

/** `"10s"`, `"0.250s"` back to ms. */
function ms(d: string | undefined): number {
  return d === undefined ? 0 : Math.round(Number(d.replace(/s$/, '')) * 1000);
}

function compileCluster(c: ClusterResource, eds: Map<string, Address[]>, config: ProxyConfig): Cluster {
  const la = c.load_assignment;
  const endpoints =
    c.type === 'EDS'
      ? (eds.get(c.name) ?? [])
      : (la?.endpoints ?? []).flatMap((l) => l.lb_endpoints.map((e) => ({ address: e.endpoint.address.socket_address.address, port: e.endpoint.address.socket_address.port_value })));
  const inboundPort = /^inbound\|(\d+)\|\|$/.exec(c.name);
  const port = inboundPort ? ingressPortOverride(config, Number(inboundPort[1])) : undefined;
  return {
    name: c.name,
    endpoints,
    originalDst: c.type === 'ORIGINAL_DST',
    rr: 0,
    ...(c.metadata ? { service: c.metadata.filter_metadata.istio.services[0]?.host } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(c.upstream_bind_config ? { bind: c.upstream_bind_config.source_address.address } : {}),
  };
}

function compileRoutes(r: RouteConfiguration, clusters: Map<string, Cluster>): RouteConfig {
  const out: RouteConfig = { name: r.name, exact: new Map(), suffixes: [], ignorePort: r.ignore_port_in_host_matching === true };
  for (const vh of r.virtual_hosts) {
    const rt = vh.routes[0];
    if (!rt) continue;
    const cluster = rt.route ? clusters.get(rt.route.cluster) : undefined;
    const entry: RouteEntry = {
      name: rt.name,
      timeoutMs: ms(rt.route?.timeout),
      retries: rt.route?.retry_policy?.num_retries ?? 0,
      ...(cluster ? { cluster } : {}),
      ...(rt.route && !cluster ? { missingCluster: rt.route.cluster } : {}),
      ...(rt.direct_response ? { directStatus: rt.direct_response.status } : {}),
      ...(rt.decorator ? { decorator: rt.decorator.operation } : {}),
    };
    for (const d of vh.domains) {
      const lower = d.toLowerCase();
      if (lower === '*') out.any ??= entry;
      else if (lower.startsWith('*')) out.suffixes.push({ suffix: lower.slice(1), route: entry });
      else if (!out.exact.has(lower)) out.exact.set(lower, entry);
    }
  }
  // Envoy tries the longest wildcard suffix first.
  out.suffixes.sort((a, b) => b.suffix.length - a.suffix.length);
  return out;
}

const EMPTY_ROUTES = (name: string): RouteConfig => ({ name, exact: new Map(), suffixes: [], ignorePort: true });

function compileChain(
  listener: string,
  c: ChainResource,
  clusters: Map<string, Cluster>,
  routes: Map<string, RouteConfig>,
): FilterChain {
  const m = c.filter_chain_match ?? {};
  const f = c.filters[0];
  const chain: FilterChain = { listener, name: c.name ?? '', kind: 'tcp', statPrefix: f.typed_config.stat_prefix };
  if (m.destination_port !== undefined) chain.port = m.destination_port;
  if (m.prefix_ranges) chain.cidrs = m.prefix_ranges.map((p) => `${p.address_prefix}/${p.prefix_len}`);
  if (m.transport_protocol) chain.transport = m.transport_protocol;
  if (m.application_protocols) chain.alpn = m.application_protocols;
  if (f.name === HCM_FILTER) {
    chain.kind = 'http';
    const hcm = f.typed_config;
    chain.serverName = hcm.server_name ?? 'envoy';
    if (hcm.route_config) {
      const rc = compileRoutes(hcm.route_config, clusters);
      const cluster = hcm.route_config.virtual_hosts[0]?.routes[0]?.route?.cluster;
      // The bootstrap's listeners route to local clusters the proxy serves itself.
      if (cluster === 'prometheus_stats' || cluster === 'agent') {
        chain.kind = 'local';
        chain.local = cluster === 'agent' ? 'health' : 'prometheus';
      }
      chain.routes = rc;
    } else {
      const name = hcm.rds?.route_config_name ?? '';
      chain.routes = routes.get(name) ?? EMPTY_ROUTES(name);
    }
  } else chain.cluster = clusters.get(f.typed_config.cluster) ?? clusters.get(BLACKHOLE);
  return chain;
}

function compileListener(l: ListenerResource, clusters: Map<string, Cluster>, routes: Map<string, RouteConfig>): ListenerRuntime {
  const chains = l.filter_chains.map((c) => compileChain(l.name, c, clusters, routes));
  const inspect = (l.listener_filters ?? []).some((f) => f.name.endsWith('_inspector'));
  // The inspectors need no bytes where every chain of the port is a plain TCP proxy (declared TCP).
  const noInspect = new Set<number>();
  const ports = new Set(chains.filter((c) => c.port !== undefined).map((c) => c.port as number));
  for (const p of ports) {
    const own = chains.filter((c) => c.port === p);
    if (own.every((c) => c.kind === 'tcp' && c.alpn === undefined)) noInspect.add(p);
  }
  const a = l.address.socket_address;
  return {
    name: l.name,
    statName: `${a.address}_${a.port_value}`,
    chains,
    ...(l.default_filter_chain ? { defaultChain: compileChain(l.name, l.default_filter_chain, clusters, routes) } : {}),
    inspect,
    noInspect,
  };
}

/** Builds the snapshot Istio would push for `config` and compiles it; swapped whole on every push. */
export function compileTable(config: ProxyConfig, ports: ProxyPorts = DEFAULT_PORTS, tproxy = false): RouteTable {
  const snapshot = buildSnapshot(config, ports, tproxy);
  const eds = new Map<string, Address[]>();
  for (const la of snapshot.endpoints) {
    eds.set(la.cluster_name, la.endpoints.flatMap((l) => l.lb_endpoints.map((e) => ({ address: e.endpoint.address.socket_address.address, port: e.endpoint.address.socket_address.port_value }))));
  }
  const clusters = new Map<string, Cluster>();
  for (const c of [...snapshot.staticClusters, ...snapshot.clusters]) clusters.set(c.name, compileCluster(c, eds, config));
  const routes = new Map<string, RouteConfig>();
  for (const r of snapshot.routes) routes.set(r.name, compileRoutes(r, clusters));
  const byAddress = new Map<string, ListenerRuntime>();
  const byPort = new Map<number, ListenerRuntime>();
  let virtualOutbound: ListenerRuntime | undefined;
  let virtualInbound: ListenerRuntime | undefined;
  for (const l of [...snapshot.staticListeners, ...snapshot.listeners]) {
    const rt = compileListener(l, clusters, routes);
    const { address, port_value: port } = l.address.socket_address;
    if (address === '0.0.0.0' || address === '::') byPort.set(port, rt);
    else byAddress.set(key(address, port), rt);
    if (l.name === 'virtualOutbound') virtualOutbound = rt;
    if (l.name === 'virtualInbound') virtualInbound = rt;
  }
  return {
    config,
    snapshot,
    mode: (config.sidecar?.outboundTrafficPolicy?.mode ?? config.mesh.outboundTrafficPolicy.mode),
    byAddress,
    byPort,
    virtualOutbound: virtualOutbound as ListenerRuntime,
    virtualInbound: virtualInbound as ListenerRuntime,
    clusters,
    passthrough: clusters.get(PASSTHROUGH) as Cluster,
    blackhole: clusters.get(BLACKHOLE) as Cluster,
    inboundPassthrough: clusters.get(INBOUND_PASSTHROUGH) as Cluster,
  };
}

/**
 * `use_original_dst`: the listener bound to the original destination takes the connection (an
 * exact address first, then 0.0.0.0 on that port, the proxy's own listeners included); else the
 * listener that accepted it keeps it.
 */
export function handOff(t: RouteTable, dst: Address): ListenerRuntime {
  return t.byAddress.get(key(dst.address, dst.port)) ?? t.byPort.get(dst.port) ?? t.virtualOutbound;
}

/** Whether the listener's inspectors wait for the client's first bytes on this connection. */
export function inspects(l: ListenerRuntime, dst: Address): boolean {
  return l.inspect && !l.noInspect.has(dst.port);
}

function narrowest<T extends FilterChain>(chains: T[], ip: string): T[] {
  let best = -1;
  let out: T[] = [];
  for (const c of chains) {
    let len = -1;
    if (c.cidrs === undefined) len = 0;
    else {
      for (const cidr of c.cidrs) {
        if (ipInCidr(ip, cidr)) len = Math.max(len, Number(cidr.split('/')[1]) + 1);
      }
    }
    if (len < 0) continue;
    if (len > best) {
      best = len;
      out = [c];
    } else if (len === best) out.push(c);
  }
  return out;
}

/**
 * Envoy's filter chain match: destination port, then the narrowest destination prefix, then
 * transport protocol, then application protocol. Each step keeps the exact matches if any, else
 * the chains that do not ask; it never goes back. Nothing left: the default chain, if any.
 */
export function selectChain(l: ListenerRuntime, dst: Address, transport = 'raw_buffer', alpn?: string): FilterChain | undefined {
  let cs = l.chains.filter((c) => c.port === dst.port);
  if (cs.length === 0) cs = l.chains.filter((c) => c.port === undefined);
  cs = narrowest(cs, dst.address);
  const byTransport = cs.filter((c) => c.transport === transport);
  cs = byTransport.length > 0 ? byTransport : cs.filter((c) => c.transport === undefined);
  const byAlpn = alpn === undefined ? [] : cs.filter((c) => c.alpn?.includes(alpn));
  cs = byAlpn.length > 0 ? byAlpn : cs.filter((c) => c.alpn === undefined);
  return cs[0] ?? l.defaultChain;
}

/** Envoy's virtual host selection (port ignored when the route says so): exact, longest `*.suffix`, then `*`. */
export function findRoute(routes: RouteConfig, authority: string): RouteEntry | undefined {
  let host = authority.toLowerCase();
  if (routes.ignorePort) {
    const end = host.startsWith('[') ? host.indexOf(']') + 1 : host.indexOf(':');
    if (end > 0 && end < host.length) host = host.slice(0, end);
  }
  const hit = routes.exact.get(host);
  if (hit) return hit;
  for (const w of routes.suffixes) if (host.endsWith(w.suffix)) return w.route;
  return routes.any;
}

/** Round-robin endpoint choice; the original destination for ORIGINAL_DST clusters. */
export function pickEndpoint(c: Cluster, dst: Address): Address | undefined {
  if (c.originalDst) return c.port === undefined ? dst : { address: dst.address, port: c.port };
  if (c.endpoints.length === 0) return undefined;
  const ep = c.endpoints[c.rr % c.endpoints.length];
  c.rr = (c.rr + 1) % 1_000_000_000;
  return ep;
}
