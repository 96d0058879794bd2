// The network filters Istio puts in a chain: an HTTP connection manager or a TCP proxy, with the mesh's access log.
import { ISTIO_TEXT_LOG_FORMAT } from '../access-log';
import { httpFiltersXds } from '../http/filter-chain';
import type { ProxyConfig } from '../config';
import {
  ads,
  HCM_FILTER,
  TCP_PROXY_FILTER,
  TYPE,
  type AccessLog,
  type NetworkFilter,
  type RouteConfiguration,
} from './envoy-types';

/** The HTTP filters every connection manager runs, in order (the router last), as the dump shows them. */
const HTTP_FILTERS = httpFiltersXds();

/** Mesh `accessLogFile`: Istio's file access logger in its TEXT format; none when empty. */
export function accessLog(config: ProxyConfig, filter?: 'NR'): AccessLog[] | undefined {
  const path = config.mesh.accessLogFile;
  if (path === '') return undefined;
  return [
    {
      name: 'envoy.access_loggers.file',
      ...(filter ? { filter: { response_flag_filter: { flags: [filter] } } } : {}),
      typed_config: { '@type': TYPE.fileAccessLog, path, log_format: { text_format_source: { inline_string: ISTIO_TEXT_LOG_FORMAT } } },
    },
  ];
}

export function tcpProxy(config: ProxyConfig, cluster: string, statPrefix = cluster): NetworkFilter {
  const log = accessLog(config);
  return {
    name: TCP_PROXY_FILTER,
    typed_config: { '@type': TYPE.tcpProxy, stat_prefix: statPrefix, cluster, ...(log ? { access_log: log } : {}) },
  };
}

export interface HcmOptions {
  statPrefix: string;
  /** RDS route name (outbound), or an inline route configuration (inbound). */
  rds?: string;
  routeConfig?: RouteConfiguration;
  direction: 'outbound' | 'inbound';
}

export function httpConnectionManager(config: ProxyConfig, o: HcmOptions): NetworkFilter {
  const log = accessLog(config);
  return {
    name: HCM_FILTER,
    typed_config: {
      '@type': TYPE.hcm,
      stat_prefix: o.statPrefix,
      ...(o.rds !== undefined ? { rds: { config_source: ads(), route_config_name: o.rds } } : {}),
      ...(o.routeConfig ? { route_config: o.routeConfig } : {}),
      http_filters: HTTP_FILTERS,
      // Outbound keeps Envoy's default name ("envoy"); inbound says "istio-envoy" (Istio's ProxyHeaders).
      ...(o.direction === 'inbound' ? { server_name: 'istio-envoy' } : {}),
      server_header_transformation: 'OVERWRITE',
      use_remote_address: false,
      upgrade_configs: [{ upgrade_type: 'websocket' }],
      stream_idle_timeout: '0s',
      normalize_path: true,
      path_with_escaped_slashes_action: 'KEEP_UNCHANGED',
      ...(log ? { access_log: log } : {}),
    },
  };
}
