// Pure matching: (compiled config, original destination[, Host]) -> listener chain, cluster, route.
import { isIP } from 'node:net';
import {
  parseDefaultEndpoint,
  type Endpoint,
  type OutboundMode,
  type ProxyConfig,
  type ServiceEntryConfig,
} from './config';
import { portHandling, portProtocol, type IstioProtocol, type PortHandling } from './protocol';
import { ipInCidr } from './net-util';
import { egressVisibility, type Visibility } from './sidecar-scope';

export const PASSTHROUGH = 'PassthroughCluster';
export const BLACKHOLE = 'BlackHoleCluster';
export const INBOUND_PASSTHROUGH = 'InboundPassthroughCluster';

export interface Address {
  address: string;
  port: number;
}

export type ClusterKind =
  | 'service'
  | 'headless'
  | 'serviceentry'
  | 'passthrough'
  | 'blackhole'
  | 'inbound'
  | 'inbound-passthrough';

/** An Envoy cluster as this proxy models it. `endpoints` empty + !originalDst means UH. */
export interface Cluster {
  name: string;
  kind: ClusterKind;
  endpoints: Address[];
  /** The upstream is the connection's original destination (ORIGINAL_DST / NONE resolution). */
  originalDst: boolean;
  /** Service hostname for metric labels; undefined for passthrough/blackhole. */
  service?: string;
  /** Outbound HTTP to this cluster is retried (Istio's default retry policy). */
  retries: boolean;
  /** With `originalDst`: keep the original address but use this port (Sidecar `0.0.0.0:PORT`). */
  port?: number;
  /** Round-robin cursor; clusters are rebuilt on every push. */
  rr: number;
}

export interface VirtualHost {
  name: string;
  domains: string[];
  cluster: Cluster;
  /** `x-envoy-decorator-operation` Istio puts on the route. */
  decorator: string;
}

/** One Envoy RouteConfiguration (Istio names outbound ones by port: `"80"`). */
export interface RouteConfig {
  name: string;
  virtualHosts: VirtualHost[];
  exact: Map<string, VirtualHost>;
  wildcards: { suffix: string; vhost: VirtualHost }[];
}

export interface ListenerMatch {
  /** The Istio listener / filter chain this connection lands on (`10.96.0.10_80`, `0.0.0.0_80`, …). */
  filterChain: string;
  handling: PortHandling;
  protocol: IstioProtocol;
  cluster: Cluster;
  /** Outbound HTTP is routed per request by Host through this table. */
  routes?: RouteConfig;
}

export interface HttpRoute {
  /** `%ROUTE_NAME%`: `default`, `allow_any`, `block_all`. */
  routeName: string;
  vhost?: VirtualHost;
  /** undefined: direct response 502 (block_all). */
  cluster?: Cluster;
}

/** The immutable result of compiling a config; swapped whole on every push. */
export interface RouteTable {
  config: ProxyConfig;
  mode: OutboundMode;
  visibility: Visibility;
  /** `ip:port` -> match (Service ClusterIPs, ServiceEntry IPs, headless endpoints). */
  vips: Map<string, ListenerMatch>;
  /** ServiceEntry CIDR addresses, checked after exact IPs. */
  cidrs: { cidr: string; port: number; match: ListenerMatch }[];
  /** `0.0.0.0_PORT` listeners: HTTP route tables and address-less TCP ServiceEntries. */
  wildcardPorts: Map<number, ListenerMatch>;
  routes: Map<number, RouteConfig>;
  clusters: Map<string, Cluster>;
  passthrough: Cluster;
  blackhole: Cluster;
  inboundPassthrough: Cluster;
  inbound: Map<number, ListenerMatch>;
}

const key = (address: string, port: number): string => `${address}:${port}`;

function cluster(name: string, kind: ClusterKind, endpoints: Address[], extra: Partial<Cluster> = {}): Cluster {
  return { name, kind, endpoints, originalDst: false, retries: false, rr: 0, ...extra };
}

function endpointPort(ep: Endpoint, portNumber: number, portName: string, fallback: number): number {
  return ep.ports?.[String(portNumber)] ?? (portName !== '' ? ep.ports?.[portName] : undefined) ?? fallback;
}

function newRoutes(name: string): RouteConfig {
  return { name, virtualHosts: [], exact: new Map(), wildcards: [] };
}

function addVhost(routes: RouteConfig, vhost: VirtualHost): void {
  routes.virtualHosts.push(vhost);
  for (const d of vhost.domains) {
    if (d.startsWith('*.')) routes.wildcards.push({ suffix: d.slice(1), vhost });
    else if (!routes.exact.has(d)) routes.exact.set(d, vhost);
  }
}

/** The names a client in `podNs` may use for a service, as Istio lists them in a virtual host. */
function serviceDomains(host: string, name: string, ns: string, podNs: string, ips: string[], port: number): string[] {
  const names = [host, `${name}.${ns}.svc`, `${name}.${ns}`, ...(ns === podNs ? [name] : []), ...ips];
  return names.flatMap((n) => {
    const h = isIP(n) === 6 ? `[${n}]` : n;
    return [n, `${h}:${port}`];
  });
}

/** Compiles a validated config; `ProxyConfig` stays the source of truth for /config_dump. */
export function compileRoutes(config: ProxyConfig): RouteTable {
  const visibility = egressVisibility(config);
  const mode = config.sidecar?.outboundTrafficPolicy?.mode ?? config.mesh.outboundTrafficPolicy.mode;
  const t: RouteTable = {
    config,
    mode,
    visibility,
    vips: new Map(),
    cidrs: [],
    wildcardPorts: new Map(),
    routes: new Map(),
    clusters: new Map(),
    passthrough: cluster(PASSTHROUGH, 'passthrough', [], { originalDst: true }),
    blackhole: cluster(BLACKHOLE, 'blackhole', []),
    inboundPassthrough: cluster(INBOUND_PASSTHROUGH, 'inbound-passthrough', [], { originalDst: true }),
    inbound: new Map(),
  };
  const routesFor = (port: number): RouteConfig => {
    let r = t.routes.get(port);
    if (!r) t.routes.set(port, (r = newRoutes(String(port))));
    return r;
  };
  const addCluster = (c: Cluster): Cluster => {
    const existing = t.clusters.get(c.name);
    if (existing) return existing;
    t.clusters.set(c.name, c);
    return c;
  };

  for (const svc of config.services) {
    const headless = svc.clusterIP === 'None';
    for (const p of svc.ports) {
      if (p.protocol !== 'TCP' || !visibility.visible(svc.namespace, svc.hostname, p.port)) continue;
      const handling = portHandling(p.istioProtocol);
      const name = `outbound|${p.port}||${svc.hostname}`;
      const endpoints = svc.endpoints.map((ep) => ({
        address: ep.address,
        port: endpointPort(ep, p.port, p.name, p.targetPort),
      }));
      const c = addCluster(
        cluster(name, headless ? 'headless' : 'service', endpoints, { service: svc.hostname, retries: true }),
      );
      if (handling !== 'tcp') {
        const ips = headless ? [] : [svc.clusterIP];
        addVhost(routesFor(p.port), {
          name: `${svc.hostname}:${p.port}`,
          domains: serviceDomains(svc.hostname, svc.name, svc.namespace, config.pod.namespace, ips, p.port),
          cluster: c,
          decorator: `${svc.hostname}:${p.port}/*`,
        });
      }
      if (!headless) {
        t.vips.set(key(svc.clusterIP, p.port), {
          filterChain: `${svc.clusterIP}_${p.port}`,
          handling,
          protocol: p.istioProtocol,
          cluster: c,
        });
        continue;
      }
      // Headless: one listener per endpoint; the endpoint is the original destination itself.
      const direct = cluster(name, 'headless', [], { originalDst: true, service: svc.hostname, retries: true });
      for (const ep of endpoints) {
        for (const port of new Set([p.port, ep.port])) {
          t.vips.set(key(ep.address, port), {
            filterChain: `${ep.address}_${port}`,
            handling,
            protocol: p.istioProtocol,
            cluster: direct,
          });
        }
      }
    }
  }
  for (const se of config.serviceEntries) addServiceEntry(t, se, routesFor, addCluster);

  // HTTP ports get a 0.0.0.0_PORT listener catching every destination on that port (as in Istio).
  for (const [port, routes] of t.routes) {
    if (!t.wildcardPorts.has(port)) {
      t.wildcardPorts.set(port, {
        filterChain: `0.0.0.0_${port}`,
        handling: 'auto',
        protocol: 'UNSUPPORTED',
        cluster: mode === 'ALLOW_ANY' ? t.passthrough : t.blackhole,
        routes,
      });
    }
  }
  for (const m of t.vips.values()) if (m.handling !== 'tcp') m.routes = t.routes.get(portOf(m.filterChain));
  for (const c of t.cidrs) if (c.match.handling !== 'tcp') c.match.routes = t.routes.get(c.port);
  compileInbound(t);
  return t;
}

function portOf(filterChain: string): number {
  return Number(filterChain.slice(filterChain.lastIndexOf('_') + 1));
}

function addServiceEntry(
  t: RouteTable,
  se: ServiceEntryConfig,
  routesFor: (port: number) => RouteConfig,
  addCluster: (c: Cluster) => Cluster,
): void {
  for (const p of se.ports) {
    const handling = portHandling(p.istioProtocol);
    for (const host of se.hosts) {
      if (!t.visibility.visible(se.namespace, host, p.number)) continue;
      const name = `outbound|${p.number}||${host}`;
      const port = p.targetPort ?? p.number;
      let endpoints: Address[] = [];
      if (se.resolution === 'STATIC' || se.resolution === 'DNS' || se.resolution === 'DNS_ROUND_ROBIN') {
        endpoints = se.endpoints.map((ep) => ({ address: ep.address, port: endpointPort(ep, p.number, p.name, port) }));
        if (endpoints.length === 0 && !host.startsWith('*')) endpoints = [{ address: host, port }];
      }
      const c = addCluster(
        cluster(name, 'serviceentry', endpoints, {
          originalDst: se.resolution === 'NONE',
          service: host,
          retries: true,
        }),
      );
      if (handling !== 'tcp') {
        addVhost(routesFor(p.number), {
          name: `${host}:${p.number}`,
          domains: [host, `${host}:${p.number}`, ...se.addresses.filter((a) => !a.includes('/'))],
          cluster: c,
          decorator: `${host}:${p.number}/*`,
        });
      }
      const match: ListenerMatch = { filterChain: '', handling, protocol: p.istioProtocol, cluster: c };
      for (const a of se.addresses) {
        if (a.includes('/')) t.cidrs.push({ cidr: a, port: p.number, match: { ...match, filterChain: `${a}_${p.number}` } });
        else if (!t.vips.has(key(a, p.number))) t.vips.set(key(a, p.number), { ...match, filterChain: `${a}_${p.number}` });
      }
      // A TCP ServiceEntry without addresses takes the whole port: Istio's 0.0.0.0_PORT gotcha.
      if (se.addresses.length === 0 && handling === 'tcp' && !t.wildcardPorts.has(p.number)) {
        t.wildcardPorts.set(p.number, { ...match, filterChain: `0.0.0.0_${p.number}` });
      }
    }
  }
}

function compileInbound(t: RouteTable): void {
  const { config } = t;
  const ingress = config.sidecar?.ingress ?? [];
  if (ingress.length > 0) {
    for (const i of ingress) {
      const ep = parseDefaultEndpoint(i.defaultEndpoint);
      const protocol = i.port.protocol !== undefined ? portProtocol(i.port.protocol) : portProtocol(i.port.name);
      const unspecified = ep === undefined || ep.host === '0.0.0.0' || ep.host === '::';
      t.inbound.set(i.port.number, {
        filterChain: `0.0.0.0_${i.port.number}`,
        handling: portHandling(protocol),
        protocol,
        // 0.0.0.0:PORT means "the pod IP", i.e. the original destination's address with PORT.
        cluster: cluster(
          `inbound|${i.port.number}||`,
          'inbound',
          unspecified ? [] : [{ address: ep.host, port: ep.port }],
          { originalDst: unspecified, port: ep?.port ?? i.port.number },
        ),
      });
    }
    return;
  }
  for (const p of config.inboundPorts) {
    if (p.protocol !== 'TCP') continue;
    t.inbound.set(p.port, {
      filterChain: `0.0.0.0_${p.port}`,
      handling: portHandling(p.istioProtocol),
      protocol: p.istioProtocol,
      cluster: cluster(`inbound|${p.port}||`, 'inbound', [], {
        originalDst: true,
        ...(p.service === undefined ? {} : { service: p.service }),
      }),
    });
  }
}

/** Which listener/filter chain an outbound connection to `dst` lands on. */
export function matchOutbound(t: RouteTable, dst: Address): ListenerMatch {
  const exact = t.vips.get(key(dst.address, dst.port));
  if (exact) return exact;
  for (const c of t.cidrs) if (c.port === dst.port && ipInCidr(dst.address, c.cidr)) return c.match;
  const wildcard = t.wildcardPorts.get(dst.port);
  if (wildcard) return wildcard;
  return {
    filterChain: 'PassthroughFilterChain',
    handling: 'auto',
    protocol: 'UNSUPPORTED',
    cluster: t.mode === 'ALLOW_ANY' ? t.passthrough : t.blackhole,
  };
}

/** Which inbound chain a connection to `dst` (pod IP:port) lands on. */
export function matchInbound(t: RouteTable, dst: Address): ListenerMatch {
  return (
    t.inbound.get(dst.port) ?? {
      filterChain: 'InboundPassthroughFilterChain',
      handling: 'auto',
      protocol: 'UNSUPPORTED',
      cluster: t.inboundPassthrough,
    }
  );
}

/** Envoy's virtual host selection: exact domain (with or without port), then `*.suffix`. */
export function findVirtualHost(routes: RouteConfig, authority: string): VirtualHost | undefined {
  const host = authority.toLowerCase();
  const hit = routes.exact.get(host);
  if (hit) return hit;
  const bare = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0];
  for (const w of routes.wildcards) if (bare.endsWith(w.suffix)) return w.vhost;
  return undefined;
}

/**
 * Routes one outbound HTTP request. Unknown Hosts go to the `allow_any` route (PassthroughCluster)
 * or `block_all` (direct 502) by mode, except on a chain bound to one cluster (headless, ServiceEntry
 * address), which keeps its cluster.
 */
export function routeOutboundHttp(t: RouteTable, match: ListenerMatch, authority: string): HttpRoute {
  const vhost = match.routes ? findVirtualHost(match.routes, authority) : undefined;
  if (vhost) return { routeName: 'default', vhost, cluster: vhost.cluster };
  const kind = match.cluster.kind;
  if (kind === 'headless' || kind === 'serviceentry') return { routeName: 'default', cluster: match.cluster };
  return t.mode === 'ALLOW_ANY' ? { routeName: 'allow_any', cluster: t.passthrough } : { routeName: 'block_all' };
}

/** Round-robin endpoint choice; the original destination for ORIGINAL_DST clusters. */
export function pickEndpoint(c: Cluster, dst: Address): Address | undefined {
  if (c.originalDst) return c.port === undefined ? dst : { address: dst.address, port: c.port };
  if (c.endpoints.length === 0) return undefined;
  const ep = c.endpoints[c.rr % c.endpoints.length];
  c.rr = (c.rr + 1) % 1_000_000_000;
  return ep;
}
