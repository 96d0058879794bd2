// Envoy v3 resources as istiod pushes them, in proto-JSON field names: what /config_dump prints and the proxy runs.

const T = 'type.googleapis.com/';
export const TYPE = {
  listener: `${T}envoy.config.listener.v3.Listener`,
  cluster: `${T}envoy.config.cluster.v3.Cluster`,
  routeConfiguration: `${T}envoy.config.route.v3.RouteConfiguration`,
  clusterLoadAssignment: `${T}envoy.config.endpoint.v3.ClusterLoadAssignment`,
  hcm: `${T}envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`,
  tcpProxy: `${T}envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy`,
  router: `${T}envoy.extensions.filters.http.router.v3.Router`,
  fileAccessLog: `${T}envoy.extensions.access_loggers.file.v3.FileAccessLog`,
  tlsInspector: `${T}envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector`,
  httpInspector: `${T}envoy.extensions.filters.listener.http_inspector.v3.HttpInspector`,
  originalDst: `${T}envoy.extensions.filters.listener.original_dst.v3.OriginalDst`,
  responseFlagFilter: `${T}envoy.config.accesslog.v3.ResponseFlagFilter`,
} as const;

export const HCM_FILTER = 'envoy.filters.network.http_connection_manager';
export const TCP_PROXY_FILTER = 'envoy.filters.network.tcp_proxy';

export interface SocketAddress {
  socket_address: { address: string; port_value: number };
}

export interface FilterChainMatch {
  destination_port?: number;
  prefix_ranges?: { address_prefix: string; prefix_len: number }[];
  transport_protocol?: string;
  application_protocols?: string[];
}

export interface AccessLog {
  name: 'envoy.access_loggers.file';
  filter?: { response_flag_filter: { flags: string[] } };
  typed_config: { '@type': typeof TYPE.fileAccessLog; path: string; log_format: { text_format_source: { inline_string: string } } };
}

export interface RetryPolicy {
  retry_on: string;
  num_retries: number;
  retry_host_predicate: { name: string; typed_config: { '@type': string } }[];
  host_selection_retry_max_attempts: string;
  retriable_status_codes: number[];
}

export interface RouteAction {
  cluster: string;
  timeout: string;
  retry_policy?: RetryPolicy;
  max_grpc_timeout: string;
}

export interface Route {
  name: string;
  match: { prefix: string };
  route?: RouteAction;
  direct_response?: { status: number };
  decorator?: { operation: string };
}

export interface VirtualHost {
  name: string;
  domains: string[];
  routes: Route[];
  include_request_attempt_count?: boolean;
}

export interface RouteConfiguration {
  '@type'?: typeof TYPE.routeConfiguration;
  name: string;
  virtual_hosts: VirtualHost[];
  validate_clusters: false;
  max_direct_response_body_size_bytes?: number;
  ignore_port_in_host_matching?: boolean;
}

export interface HttpConnectionManager {
  '@type': typeof TYPE.hcm;
  stat_prefix: string;
  rds?: { config_source: { ads: Record<string, never>; initial_fetch_timeout: string; resource_api_version: 'V3' }; route_config_name: string };
  route_config?: RouteConfiguration;
  http_filters: { name: string; typed_config: { '@type': string } }[];
  server_name?: string;
  server_header_transformation?: 'OVERWRITE' | 'PASS_THROUGH';
  use_remote_address: boolean;
  upgrade_configs: { upgrade_type: string }[];
  stream_idle_timeout: string;
  normalize_path: boolean;
  path_with_escaped_slashes_action: 'KEEP_UNCHANGED';
  access_log?: AccessLog[];
}

export interface TcpProxy {
  '@type': typeof TYPE.tcpProxy;
  stat_prefix: string;
  cluster: string;
  access_log?: AccessLog[];
}

export type NetworkFilter =
  | { name: typeof HCM_FILTER; typed_config: HttpConnectionManager }
  | { name: typeof TCP_PROXY_FILTER; typed_config: TcpProxy };

export interface FilterChain {
  name?: string;
  filter_chain_match?: FilterChainMatch;
  filters: NetworkFilter[];
}

export interface ListenerFilter {
  name: string;
  typed_config: { '@type': string };
  /** Envoy's ListenerFilterChainMatchPredicate: the ports the filter skips. */
  filter_disabled?: unknown;
}

export interface Listener {
  '@type': typeof TYPE.listener;
  name: string;
  address: SocketAddress;
  filter_chains: FilterChain[];
  default_filter_chain?: FilterChain;
  use_original_dst?: boolean;
  bind_to_port?: boolean;
  transparent?: boolean;
  listener_filters?: ListenerFilter[];
  listener_filters_timeout?: string;
  continue_on_listener_filters_timeout?: boolean;
  traffic_direction?: 'OUTBOUND' | 'INBOUND';
  access_log?: AccessLog[];
}

export interface LbEndpoint {
  endpoint: { address: SocketAddress };
  health_status: 'HEALTHY';
  load_balancing_weight: number;
}

export interface ClusterLoadAssignment {
  '@type'?: typeof TYPE.clusterLoadAssignment;
  cluster_name: string;
  endpoints: { locality: Record<string, never>; lb_endpoints: LbEndpoint[] }[];
}

export type ClusterType = 'EDS' | 'ORIGINAL_DST' | 'STATIC' | 'STRICT_DNS' | 'LOGICAL_DNS';

export interface Cluster {
  '@type': typeof TYPE.cluster;
  name: string;
  type: ClusterType;
  connect_timeout: string;
  lb_policy: 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'CLUSTER_PROVIDED';
  eds_cluster_config?: { eds_config: { ads: Record<string, never>; initial_fetch_timeout: string; resource_api_version: 'V3' }; service_name: string };
  load_assignment?: ClusterLoadAssignment;
  upstream_bind_config?: { source_address: { address: string; port_value: number } };
  metadata?: { filter_metadata: { istio: { services: { host: string; name: string; namespace: string }[] } } };
}

/** Everything istiod pushes to one proxy, plus the bootstrap's static part. */
export interface XdsSnapshot {
  version: string;
  staticListeners: Listener[];
  listeners: Listener[];
  staticClusters: Cluster[];
  clusters: Cluster[];
  routes: RouteConfiguration[];
  /** EDS: one per EDS cluster. */
  endpoints: ClusterLoadAssignment[];
}

export const ads = (): { ads: Record<string, never>; initial_fetch_timeout: string; resource_api_version: 'V3' } => ({
  ads: {},
  initial_fetch_timeout: '0s',
  resource_api_version: 'V3',
});

export function socketAddress(address: string, port: number): SocketAddress {
  return { socket_address: { address, port_value: port } };
}

/** Envoy's proto-JSON Duration: `"10s"`, `"0.100s"`. */
export function duration(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(3).replace(/0+$/, '')}s`;
}
