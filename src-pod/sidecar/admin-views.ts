// Envoy admin output from the pushed xDS snapshot: /config_dump (with ?resource= and ?include_eds), /listeners, /server_info.
import type { ProxyConfig } from './config';
import { formatAddress } from './net-util';
import type { RouteTable } from './routing';
import { nodeId as proxyNodeId } from './http/header-policy';
import { socketAddress, TYPE, type Listener } from './xds/envoy-types';

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

const ADMIN = 'type.googleapis.com/envoy.admin.v3.';

export function nodeId(config: ProxyConfig | undefined): string {
  return config ? proxyNodeId(config) : 'sidecar~unknown~unknown.unknown~unknown.svc.cluster.local';
}

interface DumpSection {
  '@type': string;
  [field: string]: unknown;
}

/** The per-resource lists `?resource=` can select, with the element `@type` Envoy gives each. */
const RESOURCES: Record<string, { section: string; type: string }> = {
  static_listeners: { section: 'ListenersConfigDump', type: 'ListenersConfigDump.StaticListener' },
  dynamic_listeners: { section: 'ListenersConfigDump', type: 'ListenersConfigDump.DynamicListener' },
  static_clusters: { section: 'ClustersConfigDump', type: 'ClustersConfigDump.StaticCluster' },
  dynamic_active_clusters: { section: 'ClustersConfigDump', type: 'ClustersConfigDump.DynamicCluster' },
  static_route_configs: { section: 'RoutesConfigDump', type: 'RoutesConfigDump.StaticRouteConfig' },
  dynamic_route_configs: { section: 'RoutesConfigDump', type: 'RoutesConfigDump.DynamicRouteConfig' },
  static_endpoint_configs: { section: 'EndpointsConfigDump', type: 'EndpointsConfigDump.StaticEndpointConfig' },
  dynamic_endpoint_configs: { section: 'EndpointsConfigDump', type: 'EndpointsConfigDump.DynamicEndpointConfig' },
};

export interface DumpQuery {
  resource?: string;
  includeEds?: boolean;
}

/** Thrown for a `?resource=` Envoy does not know; the admin answers 404 with this message. */
export class DumpQueryError extends Error {}

function bootstrap(table: RouteTable | undefined, rt: ProxyRuntimeInfo, updated: string | undefined): DumpSection {
  const config = table?.config;
  return {
    '@type': `${ADMIN}BootstrapConfigDump`,
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
        user_agent_build_version: { metadata: { 'revision.status': 'Clean', 'build.type': 'RELEASE' } },
      },
      static_resources: table ? { listeners: table.snapshot.staticListeners, clusters: table.snapshot.staticClusters } : {},
      dynamic_resources: { lds_config: { ads: {}, resource_api_version: 'V3' }, cds_config: { ads: {}, resource_api_version: 'V3' }, ads_config: { api_type: 'GRPC', transport_api_version: 'V3' } },
      admin: { address: socketAddress(rt.adminAddress, rt.adminPort) },
    },
    ...(updated ? { last_updated: updated } : {}),
  };
}

/** Every section in Envoy's order: bootstrap, clusters, [endpoints], listeners, scoped routes, routes, secrets. */
function sections(table: RouteTable, rt: ProxyRuntimeInfo, includeEds: boolean): DumpSection[] {
  const s = table.snapshot;
  const version = s.version;
  const updated = rt.lastUpdated?.toISOString();
  const stamp = updated ? { last_updated: updated } : {};
  const out: DumpSection[] = [
    bootstrap(table, rt, updated),
    {
      '@type': `${ADMIN}ClustersConfigDump`,
      version_info: version,
      static_clusters: s.staticClusters.map((cluster) => ({ cluster, ...stamp })),
      dynamic_active_clusters: s.clusters.map((cluster) => ({ version_info: version, cluster, ...stamp })),
    },
  ];
  if (includeEds) {
    out.push({
      '@type': `${ADMIN}EndpointsConfigDump`,
      static_endpoint_configs: s.staticClusters.flatMap((c) => (c.load_assignment ? [{ endpoint_config: { '@type': TYPE.clusterLoadAssignment, ...c.load_assignment } }] : [])),
      dynamic_endpoint_configs: s.endpoints.map((e) => ({ version_info: version, endpoint_config: { '@type': TYPE.clusterLoadAssignment, ...e }, ...stamp })),
    });
  }
  out.push(
    {
      '@type': `${ADMIN}ListenersConfigDump`,
      version_info: version,
      static_listeners: s.staticListeners.map((listener) => ({ listener, ...stamp })),
      dynamic_listeners: s.listeners.map((listener) => ({ name: listener.name, active_state: { version_info: version, listener, ...stamp } })),
    },
    { '@type': `${ADMIN}ScopedRoutesConfigDump` },
    {
      '@type': `${ADMIN}RoutesConfigDump`,
      static_route_configs: s.staticListeners.flatMap((l) => l.filter_chains.flatMap((c) => c.filters.flatMap((f) => ('route_config' in f.typed_config && f.typed_config.route_config ? [{ route_config: { '@type': TYPE.routeConfiguration, ...f.typed_config.route_config }, ...stamp }] : [])))),
      dynamic_route_configs: s.routes.map((r) => ({ version_info: version, route_config: { '@type': TYPE.routeConfiguration, ...r }, ...stamp })),
    },
    { '@type': `${ADMIN}SecretsConfigDump` },
  );
  return out;
}

/** `/config_dump`: Envoy's v3 admin shape of what Istio pushed to this proxy. */
export function configDump(table: RouteTable | undefined, rt: ProxyRuntimeInfo, q: DumpQuery = {}): { configs: unknown[] } {
  if (q.resource !== undefined) {
    const r = RESOURCES[q.resource];
    if (!r) throw new DumpQueryError(`${q.resource} not found in config dump`);
    if (!table) return { configs: [] };
    const section = sections(table, rt, true).find((x) => x['@type'] === `${ADMIN}${r.section}`);
    const items = (section?.[q.resource] ?? []) as object[];
    return { configs: items.map((i) => ({ '@type': `${ADMIN}${r.type}`, ...i })) };
  }
  if (!table) return { configs: [bootstrap(undefined, rt, rt.lastUpdated?.toISOString())] };
  return { configs: sections(table, rt, q.includeEds === true) };
}

function allListeners(table: RouteTable): Listener[] {
  return [...table.snapshot.staticListeners, ...table.snapshot.listeners];
}

/** `/listeners`: Envoy's `name::address` lines for every listener the proxy has. */
export function listenersText(table: RouteTable | undefined): string {
  if (!table) return '';
  const lines = allListeners(table).map((l) => `${l.name}::${formatAddress(l.address.socket_address.address, l.address.socket_address.port_value)}`);
  return `${lines.join('\n')}\n`;
}

/** `/listeners?format=json`. */
export function listenersJson(table: RouteTable | undefined): object {
  return { listener_statuses: table ? allListeners(table).map((l) => ({ name: l.name, local_address: l.address })) : [] };
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
