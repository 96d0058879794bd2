// Envoy admin output shapes: /config_dump (simplified v3 JSON), /listeners, /clusters, /server_info.
import type { ProxyConfig } from './config';
import { formatAddress } from './net-util';
import type { Cluster, ListenerMatch, RouteConfig, RouteTable } from './routing';
import type { EnvoyStats } from './stats';

export const PROXY_VERSION = 'sidecar-lab-proxy/0.1.0 (Envoy-like, Istio sidecar behaviour)';

export interface ProxyRuntimeInfo {
  interceptionMode: 'REDIRECT' | 'TPROXY';
  adminAddress: string;
  adminPort: number;
  outboundPort: number;
  inboundPort: number;
  state: 'PRE_INITIALIZING' | 'LIVE' | 'DRAINING';
  lastUpdated?: Date;
}

const T = 'type.googleapis.com/envoy';

export function nodeId(config: ProxyConfig | undefined): string {
  if (!config) return 'sidecar~unknown~unknown.unknown~unknown.svc.cluster.local';
  const { pod } = config;
  return `sidecar~${pod.ip}~${pod.name}.${pod.namespace}~${pod.namespace}.svc.cluster.local`;
}

function socketAddress(address: string, port: number): object {
  return { socket_address: { address, port_value: port } };
}

function ms(value: number): string {
  return `${value / 1000}s`;
}

function clusterJson(c: Cluster, config: ProxyConfig): object {
  const type = c.originalDst ? 'ORIGINAL_DST' : c.kind === 'blackhole' ? 'STATIC' : c.kind === 'serviceentry' ? 'STRICT_DNS' : 'EDS';
  return {
    '@type': `${T}.config.cluster.v3.Cluster`,
    name: c.name,
    type,
    connect_timeout: ms(config.mesh.connectTimeoutMs),
    lb_policy: c.originalDst ? 'CLUSTER_PROVIDED' : 'ROUND_ROBIN',
    ...(c.kind === 'inbound' || c.kind === 'inbound-passthrough'
      ? { upstream_bind_config: { source_address: { address: '127.0.0.6', port_value: 0 } } }
      : {}),
    load_assignment: {
      cluster_name: c.name,
      endpoints: [
        { lb_endpoints: c.endpoints.map((e) => ({ endpoint: { address: socketAddress(e.address, e.port) } })) },
      ],
    },
  };
}

function chainJson(m: ListenerMatch, port: number | undefined, prefix: string | undefined): object {
  const filter =
    m.handling === 'tcp'
      ? { name: 'envoy.filters.network.tcp_proxy', typed_config: { stat_prefix: m.cluster.name, cluster: m.cluster.name } }
      : {
          name: 'envoy.filters.network.http_connection_manager',
          typed_config: {
            stat_prefix: `outbound_${m.filterChain}`,
            rds: { route_config_name: m.routes?.name ?? String(port ?? '') },
            server_header_transformation: 'OVERWRITE',
            // An undeclared port also keeps a TCP chain for what is not HTTP.
            ...(m.handling === 'auto' ? { fallback_tcp_cluster: m.cluster.name } : {}),
          },
        };
  return {
    name: m.filterChain,
    filter_chain_match: {
      ...(port !== undefined ? { destination_port: port } : {}),
      ...(prefix !== undefined ? { prefix_ranges: [{ address_prefix: prefix.split('/')[0], prefix_len: Number(prefix.split('/')[1] ?? (prefix.includes(':') ? 128 : 32)) }] } : {}),
      ...(m.handling === 'auto' ? { application_protocols: ['http/1.1', 'h2c', '(tcp)'] } : {}),
    },
    filters: [filter],
  };
}

function routeJson(r: RouteConfig, table: RouteTable): object {
  const fallback =
    table.mode === 'ALLOW_ANY'
      ? { name: 'allow_any', domains: ['*'], routes: [{ name: 'allow_any', match: { prefix: '/' }, route: { cluster: 'PassthroughCluster', timeout: '0s' } }] }
      : { name: 'block_all', domains: ['*'], routes: [{ name: 'block_all', match: { prefix: '/' }, direct_response: { status: 502 } }] };
  return {
    '@type': `${T}.config.route.v3.RouteConfiguration`,
    name: r.name,
    virtual_hosts: [
      ...r.virtualHosts.map((v) => ({
        name: v.name,
        domains: v.domains,
        routes: [
          {
            name: 'default',
            match: { prefix: '/' },
            route: {
              cluster: v.cluster.name,
              timeout: ms(table.config.mesh.routeTimeoutMs),
              retry_policy: {
                retry_on: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes',
                num_retries: table.config.mesh.httpRetryAttempts,
                retriable_status_codes: [503],
              },
            },
            decorator: { operation: v.decorator },
          },
        ],
        include_request_attempt_count: true,
      })),
      fallback,
    ],
    validate_clusters: false,
  };
}

/** `/config_dump`: Envoy's v3 admin shape, reduced to what this proxy really does. */
export function configDump(table: RouteTable | undefined, rt: ProxyRuntimeInfo): object {
  const config = table?.config;
  const version = config?.version ?? '';
  const updated = rt.lastUpdated?.toISOString();
  const bootstrap = {
    '@type': `${T}.admin.v3.BootstrapConfigDump`,
    bootstrap: {
      node: {
        id: nodeId(config),
        cluster: config ? `${config.pod.workload}.${config.pod.namespace}` : 'unknown',
        metadata: {
          NAME: config?.pod.name,
          NAMESPACE: config?.pod.namespace,
          INSTANCE_IPS: config?.pod.ip,
          INTERCEPTION_MODE: rt.interceptionMode,
          WORKLOAD_NAME: config?.pod.workload,
        },
        user_agent_name: 'envoy',
        user_agent_version: PROXY_VERSION,
      },
      admin: { address: socketAddress(rt.adminAddress, rt.adminPort) },
    },
    last_updated: updated,
  };
  if (!table || !config) return { configs: [bootstrap] };
  const outboundChains = [
    ...[...table.vips.values()].map((m) => chainJson(m, Number(m.filterChain.split('_').pop()), m.filterChain.split('_')[0])),
    ...table.cidrs.map((c) => chainJson(c.match, c.port, c.cidr)),
    ...[...table.wildcardPorts.entries()].map(([port, m]) => chainJson(m, port, undefined)),
    chainJson({ filterChain: 'PassthroughFilterChain', handling: 'auto', protocol: 'UNSUPPORTED', cluster: table.mode === 'ALLOW_ANY' ? table.passthrough : table.blackhole }, undefined, undefined),
  ];
  const inboundChains = [
    ...[...table.inbound.entries()].map(([port, m]) => chainJson(m, port, undefined)),
    chainJson({ filterChain: 'InboundPassthroughFilterChain', handling: 'auto', protocol: 'UNSUPPORTED', cluster: table.inboundPassthrough }, undefined, undefined),
  ];
  const listener = (name: string, port: number, chains: object[]): object => ({
    name,
    active_state: {
      version_info: version,
      listener: {
        '@type': `${T}.config.listener.v3.Listener`,
        name,
        address: socketAddress('0.0.0.0', port),
        use_original_dst: true,
        ...(rt.interceptionMode === 'TPROXY' && name === 'virtualInbound' ? { transparent: true } : {}),
        listener_filters_timeout: ms(config.mesh.protocolDetectionTimeoutMs),
        continue_on_listener_filters_timeout: true,
        filter_chains: chains,
      },
      last_updated: updated,
    },
  });
  const statics = [table.blackhole, table.passthrough, table.inboundPassthrough];
  const inboundClusters = [...table.inbound.values()].map((m) => m.cluster);
  return {
    configs: [
      bootstrap,
      {
        '@type': `${T}.admin.v3.ListenersConfigDump`,
        version_info: version,
        dynamic_listeners: [
          listener('virtualOutbound', rt.outboundPort, outboundChains),
          listener('virtualInbound', rt.inboundPort, inboundChains),
        ],
      },
      {
        '@type': `${T}.admin.v3.ClustersConfigDump`,
        version_info: version,
        static_clusters: statics.map((c) => ({ cluster: clusterJson(c, config), last_updated: updated })),
        dynamic_active_clusters: [...table.clusters.values(), ...inboundClusters].map((c) => ({
          version_info: version,
          cluster: clusterJson(c, config),
          last_updated: updated,
        })),
      },
      {
        '@type': `${T}.admin.v3.RoutesConfigDump`,
        dynamic_route_configs: [...table.routes.values()].map((r) => ({
          version_info: version,
          route_config: routeJson(r, table),
          last_updated: updated,
        })),
      },
    ],
  };
}

/** `/listeners`: `name::address` lines, the two real listeners and the virtual per-port ones. */
export function listenersText(table: RouteTable | undefined, rt: ProxyRuntimeInfo): string {
  const lines = [`virtualOutbound::0.0.0.0:${rt.outboundPort}`, `virtualInbound::0.0.0.0:${rt.inboundPort}`];
  if (table) {
    for (const m of table.vips.values()) {
      const i = m.filterChain.lastIndexOf('_');
      lines.push(`${m.filterChain}::${formatAddress(m.filterChain.slice(0, i), Number(m.filterChain.slice(i + 1)))}`);
    }
    for (const c of table.cidrs) lines.push(`${c.match.filterChain}::${c.cidr}:${c.port}`);
    for (const port of table.wildcardPorts.keys()) lines.push(`0.0.0.0_${port}::0.0.0.0:${port}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `/clusters`: Envoy's text lines, `NAME::HOST::stat::value`. */
export function clustersText(table: RouteTable | undefined, stats: EnvoyStats): string {
  if (!table) return '';
  const out: string[] = [];
  const clusters = [table.blackhole, table.passthrough, table.inboundPassthrough, ...table.clusters.values(), ...[...table.inbound.values()].map((m) => m.cluster)];
  for (const c of clusters) {
    out.push(`${c.name}::observability_name::${c.name}`, `${c.name}::default_priority::max_connections::4294967295`, `${c.name}::added_via_api::${c.kind === 'passthrough' || c.kind === 'blackhole' || c.kind === 'inbound-passthrough' ? 'false' : 'true'}`);
    const cs = stats.clusters.get(c.name);
    const hosts = new Set(c.endpoints.map((e) => formatAddress(e.address, e.port)));
    // ORIGINAL_DST clusters list the hosts they have connected to, as Envoy does.
    for (const h of cs?.hosts.keys() ?? []) hosts.add(h);
    for (const h of hosts) {
      const hs = cs?.hosts.get(h);
      for (const stat of ['cx_active', 'cx_connect_fail', 'cx_total', 'rq_active', 'rq_error', 'rq_success', 'rq_timeout', 'rq_total'] as const) {
        out.push(`${c.name}::${h}::${stat}::${hs?.[stat] ?? 0}`);
      }
      out.push(`${c.name}::${h}::hostname::`, `${c.name}::${h}::health_flags::healthy`, `${c.name}::${h}::weight::1`);
    }
  }
  return `${out.join('\n')}\n`;
}

export function serverInfo(table: RouteTable | undefined, rt: ProxyRuntimeInfo, startedAt: number): object {
  const uptime = `${Math.floor((Date.now() - startedAt) / 1000)}s`;
  return {
    version: PROXY_VERSION,
    state: rt.state,
    hot_restart_version: 'disabled',
    command_line_options: { admin_address_path: '', base_id: '0', concurrency: 1, mode: 'Serve' },
    node: { id: nodeId(table?.config), cluster: table ? `${table.config.pod.workload}.${table.config.pod.namespace}` : 'unknown' },
    uptime_current_epoch: uptime,
    uptime_all_epochs: uptime,
  };
}
