// Istio's outbound listeners (listener.go): `0.0.0.0_PORT` for HTTP, `VIP_PORT` for TCP and sniffed ports, with conflicts merged.
import type { ProxyConfig } from '../config';
import { listenerProtocol, type ListenerProtocol } from '../protocol';
import { duration, socketAddress, TYPE, type FilterChain, type FilterChainMatch, type Listener, type ListenerFilter, type NetworkFilter } from './envoy-types';
import { accessLog, httpConnectionManager, tcpProxy } from './filters';
import { BLACKHOLE, outboundClusterName, PASSTHROUGH } from './routes';
import { bareAddress, cidrOf, UNSPECIFIED, type ModelService } from './services';

/** HTTP/1.1 and h2c: what the HTTP inspector reports for plaintext HTTP (Istio without HTTP/1.0). */
export const PLAINTEXT_HTTP_ALPNS = ['http/1.1', 'h2c'];
const WELL_KNOWN_PORTS = new Set([25, 53, 3306, 27017]);

interface ChainOpts {
  cidr?: string;
  alpn?: boolean;
  filter: NetworkFilter;
}

interface Entry {
  bind: string;
  port: number;
  protocol: ListenerProtocol;
  chains: ChainOpts[];
}

export const listenerName = (bind: string, port: number): string => `${bind}_${port}`;

export const TLS_INSPECTOR: ListenerFilter = { name: 'envoy.filters.listener.tls_inspector', typed_config: { '@type': TYPE.tlsInspector } };
export const HTTP_INSPECTOR: ListenerFilter = { name: 'envoy.filters.listener.http_inspector', typed_config: { '@type': TYPE.httpInspector } };

/** The catch-all TCP proxy of unmatched traffic: PassthroughCluster (ALLOW_ANY) or BlackHoleCluster (REGISTRY_ONLY). */
export function catchAllTcp(config: ProxyConfig, allowAny: boolean): NetworkFilter {
  return tcpProxy(config, allowAny ? PASSTHROUGH : BLACKHOLE);
}

function tcpChain(config: ProxyConfig, svc: ModelService, port: number, cidr: string | undefined): ChainOpts {
  return { ...(cidr ? { cidr } : {}), filter: tcpProxy(config, outboundClusterName(port, svc.hostname)) };
}

function httpChain(config: ProxyConfig, bind: string, svc: ModelService, port: number, lp: ListenerProtocol): ChainOpts {
  // A sniffed service on its own address gets a route of its own; everything else shares the port's.
  const rds = lp === 'auto' && bind !== UNSPECIFIED ? `${svc.hostname}:${port}` : String(port);
  return {
    alpn: bind === UNSPECIFIED || lp === 'auto',
    filter: httpConnectionManager(config, { statPrefix: `outbound_${listenerName(bind, port)}`, rds, direction: 'outbound' }),
  };
}

const sameMatch = (a: ChainOpts, b: ChainOpts): boolean => a.cidr === b.cidr && Boolean(a.alpn) === Boolean(b.alpn);

/** Istio's buildSidecarOutboundListener for one service port (conflicts resolved in push order). */
function addServicePort(config: ProxyConfig, map: Map<string, Entry>, svc: ModelService, port: number, lp: ListenerProtocol, bindOverride?: string): void {
  let bind = bindOverride ?? '';
  let cidr: string | undefined;
  if (bind === '') {
    if (lp === 'http') bind = UNSPECIFIED;
    else {
      const c = cidrOf(svc.address);
      if (c) {
        bind = UNSPECIFIED;
        cidr = svc.address;
      } else bind = bareAddress(svc.address);
    }
  }
  const key = listenerName(bind, port);
  const current = map.get(key);
  let chains: ChainOpts[];
  if (lp === 'http') {
    if (current && current.protocol !== 'tcp') return;
    chains = [httpChain(config, bind, svc, port, lp)];
  } else if (lp === 'tcp') chains = [tcpChain(config, svc, port, cidr)];
  else {
    if (current && current.protocol === 'auto') return;
    chains = [tcpChain(config, svc, port, cidr), httpChain(config, bind, svc, port, lp)];
  }
  if (!current || (lp === 'auto' && current.protocol === 'http')) {
    // A wildcard HTTP listener matches by ALPN with a TCP fallback: Istio counts it as sniffed.
    map.set(key, { bind, port, protocol: lp === 'http' ? 'auto' : lp, chains });
    return;
  }
  // A conflict on a port that must never be sniffed keeps what was there.
  if (WELL_KNOWN_PORTS.has(port) && current.protocol !== lp) return;
  for (const c of chains) if (!current.chains.some((x) => sameMatch(x, c))) current.chains.push(c);
  if (current.protocol !== lp) current.protocol = 'auto';
}

function toMatch(c: ChainOpts): FilterChainMatch | undefined {
  const m: FilterChainMatch = {};
  if (c.cidr) {
    const [ip, bits] = c.cidr.split('/');
    m.prefix_ranges = [{ address_prefix: ip, prefix_len: Number(bits) }];
  }
  if (c.alpn) {
    m.transport_protocol = 'raw_buffer';
    m.application_protocols = PLAINTEXT_HTTP_ALPNS;
  }
  return Object.keys(m).length > 0 ? m : undefined;
}

/** Istio's buildListenerFromEntry: a match-all chain becomes the default; else PassthroughFilterChain is. */
function toListener(config: ProxyConfig, e: Entry, allowAny: boolean): Listener {
  const name = listenerName(e.bind, e.port);
  const chains: FilterChain[] = [];
  let fallback: FilterChain | undefined;
  for (const c of e.chains) {
    const match = toMatch(c);
    if (match) chains.push({ filter_chain_match: match, filters: [c.filter] });
    else fallback ??= { filters: [c.filter] };
  }
  const inspect = e.chains.some((c) => c.alpn);
  const listener: Listener = {
    '@type': TYPE.listener,
    name,
    address: socketAddress(e.bind, e.port),
    filter_chains: chains,
    ...(inspect ? { listener_filters: [TLS_INSPECTOR, HTTP_INSPECTOR] } : {}),
    listener_filters_timeout: inspect ? duration(config.mesh.protocolDetectionTimeoutMs) : '0s',
    continue_on_listener_filters_timeout: true,
    traffic_direction: 'OUTBOUND',
    bind_to_port: false,
  };
  if (fallback && chains.length === 0) listener.filter_chains = [fallback];
  else listener.default_filter_chain = fallback ?? { filter_chain_match: {}, name: 'PassthroughFilterChain', filters: [catchAllTcp(config, allowAny)] };
  return listener;
}

/** Every per-port outbound listener for the visible services. */
export function outboundListeners(config: ProxyConfig, services: ModelService[], allowAny: boolean): Listener[] {
  const map = new Map<string, Entry>();
  for (const svc of services) {
    for (const p of svc.ports) {
      const lp = listenerProtocol(p.protocol);
      if (lp === 'none') continue;
      const passthrough = svc.resolution === 'Passthrough' && svc.address === UNSPECIFIED && lp !== 'http';
      if (!passthrough) {
        addServicePort(config, map, svc, p.port, lp);
        continue;
      }
      // Headless and NONE-resolution services: a listener per endpoint, not one 0.0.0.0 listener.
      const endpoints = svc.endpoints.get(p.port) ?? [];
      if (svc.registry !== 'Kubernetes' && endpoints.length === 0) {
        addServicePort(config, map, svc, p.port, lp);
        continue;
      }
      for (const ep of endpoints) {
        if (ep.address === config.pod.ip || !/^[\d.:a-f]+$/i.test(ep.address)) continue;
        addServicePort(config, map, svc, p.port, lp, ep.address);
      }
    }
  }
  return [...map.values()].map((e) => toListener(config, e, allowAny));
}

/** The names of the route configurations these listeners ask for over RDS. */
export function rdsNames(listeners: Listener[]): string[] {
  const names = new Set<string>();
  for (const l of listeners) {
    for (const c of [...l.filter_chains, ...(l.default_filter_chain ? [l.default_filter_chain] : [])]) {
      for (const f of c.filters) if (f.name === 'envoy.filters.network.http_connection_manager' && f.typed_config.rds) names.add(f.typed_config.rds.route_config_name);
    }
  }
  return [...names];
}

/** `virtualOutbound` on 15001: the blackhole chain for its own port, then a TCP catch-all (no inspection). */
export function virtualOutbound(config: ProxyConfig, port: number, allowAny: boolean, transparent: boolean): Listener {
  const log = accessLog(config, 'NR');
  return {
    '@type': TYPE.listener,
    name: 'virtualOutbound',
    address: socketAddress(UNSPECIFIED, port),
    filter_chains: [
      { name: 'virtualOutbound-blackhole', filter_chain_match: { destination_port: port }, filters: [tcpProxy(config, BLACKHOLE)] },
      { name: 'virtualOutbound-catchall-tcp', filters: [catchAllTcp(config, allowAny)] },
    ],
    use_original_dst: true,
    ...(transparent ? { transparent: true } : {}),
    traffic_direction: 'OUTBOUND',
    ...(log ? { access_log: log } : {}),
  };
}
