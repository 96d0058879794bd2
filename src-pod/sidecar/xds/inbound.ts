// Istio's virtualInbound (listener_inbound.go): passthrough chains, then one chain set per inbound port.
import { parseDefaultEndpoint, type ProxyConfig } from '../config';
import { listenerProtocol, parseProtocol, type ListenerProtocol } from '../protocol';
import { duration, socketAddress, TYPE, type FilterChain, type Listener, type ListenerFilter, type RouteConfiguration } from './envoy-types';
import { accessLog, httpConnectionManager, tcpProxy } from './filters';
import { HTTP_INSPECTOR, PLAINTEXT_HTTP_ALPNS, TLS_INSPECTOR } from './outbound';
import { BLACKHOLE, INBOUND_PASSTHROUGH } from './routes';
import { UNSPECIFIED } from './services';

const ORIGINAL_DST: ListenerFilter = { name: 'envoy.filters.listener.original_dst', typed_config: { '@type': TYPE.originalDst } };
const ORIGINAL_SRC: ListenerFilter = { name: 'envoy.filters.listener.original_src', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.original_src.v3.OriginalSrc' } };

export interface InboundPort {
  port: number;
  protocol: ListenerProtocol;
  cluster: string;
  /** The service hostname for the route's decorator (Sidecar ingress: `NAME.NAMESPACE`). */
  host: string;
}

export const inboundClusterName = (port: number): string => `inbound|${port}||`;

/** The pod's inbound ports: a Sidecar's ingress when it has one, else its Services' target ports (first wins). */
export function inboundPorts(config: ProxyConfig): InboundPort[] {
  const ingress = config.sidecar?.ingress ?? [];
  const out = new Map<number, InboundPort>();
  if (ingress.length > 0) {
    const host = `${config.sidecar?.name ?? 'default'}.${config.sidecar?.namespace ?? config.pod.namespace}`;
    for (const i of ingress) {
      if (out.has(i.port.number)) continue;
      const lp = listenerProtocol(parseProtocol(i.port.protocol ?? ''));
      if (lp !== 'none') out.set(i.port.number, { port: i.port.number, protocol: lp, cluster: inboundClusterName(i.port.number), host });
    }
  } else {
    for (const p of config.inboundPorts) {
      const lp = listenerProtocol(p.istioProtocol);
      if (lp === 'none' || out.has(p.port)) continue;
      out.set(p.port, { port: p.port, protocol: lp, cluster: inboundClusterName(p.port), host: p.service ?? '' });
    }
  }
  return [...out.values()].sort((a, b) => a.port - b.port);
}

/** The inbound route: one `*` virtual host to the port's cluster (buildSidecarInboundHTTPRouteConfig). */
function inboundRoute(cluster: string, port: number, host: string): RouteConfiguration {
  return {
    name: cluster,
    virtual_hosts: [
      {
        name: `inbound|http|${port}`,
        domains: ['*'],
        routes: [
          {
            name: 'default',
            match: { prefix: '/' },
            route: { cluster, timeout: '0s', max_grpc_timeout: '0s' },
            decorator: { operation: `${host}:${port}/*` },
          },
        ],
      },
    ],
    validate_clusters: false,
  };
}

/**
 * The chains of one port, as PERMISSIVE mode has them for clients without mTLS (the lab has no
 * mTLS, so the chains that need an Istio certificate are left out): HTTP on plain text; TCP on
 * plain text or plain TLS; a sniffed port both.
 */
function portChains(config: ProxyConfig, name: string, port: number | undefined, lp: ListenerProtocol, cluster: string, host: string, httpName = name): FilterChain[] {
  const dp = port === undefined ? {} : { destination_port: port };
  const hcm = httpConnectionManager(config, {
    statPrefix: port === undefined ? cluster : `inbound_${name}`,
    routeConfig: inboundRoute(cluster, port ?? 0, host),
    direction: 'inbound',
  });
  const tcp = tcpProxy(config, cluster);
  const chains: FilterChain[] = [];
  if (lp === 'http') chains.push({ name, filter_chain_match: { ...dp, transport_protocol: 'raw_buffer' }, filters: [hcm] });
  if (lp === 'auto') {
    chains.push({ name: httpName, filter_chain_match: { ...dp, transport_protocol: 'raw_buffer', application_protocols: PLAINTEXT_HTTP_ALPNS }, filters: [hcm] });
  }
  if (lp !== 'http') {
    chains.push({ name, filter_chain_match: { ...dp, transport_protocol: 'raw_buffer' }, filters: [tcp] });
    chains.push({ name, filter_chain_match: { ...dp, transport_protocol: 'tls' }, filters: [tcp] });
  }
  return chains;
}

/** `virtualInbound` on 15006, with Sidecar ingress endpoints carried by the port's cluster. */
export function virtualInbound(config: ProxyConfig, listenPort: number, transparent: boolean): Listener {
  const log = accessLog(config, 'NR');
  const chains: FilterChain[] = [
    { name: 'virtualInbound-blackhole', filter_chain_match: { destination_port: listenPort }, filters: [tcpProxy(config, BLACKHOLE)] },
    ...portChains(config, 'virtualInbound', undefined, 'auto', INBOUND_PASSTHROUGH, '', 'virtualInbound-catchall-http'),
  ];
  for (const p of inboundPorts(config)) chains.push(...portChains(config, `${UNSPECIFIED}_${p.port}`, p.port, p.protocol, p.cluster, p.host));
  // The HTTP inspector runs on every port but those declared as plain HTTP or TCP.
  const noSniff = inboundPorts(config).filter((p) => p.protocol !== 'auto').map((p) => p.port);
  return {
    '@type': TYPE.listener,
    name: 'virtualInbound',
    address: socketAddress(UNSPECIFIED, listenPort),
    filter_chains: chains,
    ...(transparent ? { transparent: true } : {}),
    listener_filters: [
      ORIGINAL_DST,
      ...(transparent ? [ORIGINAL_SRC] : []),
      TLS_INSPECTOR,
      noSniff.length === 0
        ? HTTP_INSPECTOR
        : { ...HTTP_INSPECTOR, filter_disabled: noSniff.length === 1 ? portRange(noSniff[0]) : { or_match: { rules: noSniff.map(portRange) } } },
    ],
    listener_filters_timeout: duration(config.mesh.protocolDetectionTimeoutMs),
    continue_on_listener_filters_timeout: true,
    traffic_direction: 'INBOUND',
    ...(log ? { access_log: log } : {}),
  };
}

function portRange(port: number): { destination_port_range: { start: number; end: number } } {
  return { destination_port_range: { start: port, end: port + 1 } };
}

/** Sidecar ingress `defaultEndpoint`: `127.0.0.1:8080` is a fixed endpoint; `0.0.0.0:8080` the pod IP. */
export function ingressEndpoint(config: ProxyConfig, port: number): { address: string; port: number } | undefined {
  const i = config.sidecar?.ingress.find((x) => x.port.number === port);
  const ep = i ? parseDefaultEndpoint(i.defaultEndpoint) : undefined;
  return ep ? { address: ep.host, port: ep.port } : undefined;
}
