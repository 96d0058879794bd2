// Envoy's /clusters (clusters_handler.cc): the `NAME::HOST::stat::value` text and ?format=json, the admin.v3.Clusters proto.
import { isIP } from 'node:net';
import { formatAddress } from '../net-util';
import type { Cluster as RuntimeCluster, RouteTable } from '../routing';
import type { EnvoyStats, HostStats } from '../stats';
import type { Cluster } from '../xds/envoy-types';

interface Thresholds {
  max_connections: number;
  max_pending_requests: number;
  max_requests: number;
  max_retries: number;
}

/** Envoy's own defaults, the HIGH priority of every cluster and DEFAULT where Istio sets nothing. */
const ENVOY_DEFAULT: Thresholds = { max_connections: 1024, max_pending_requests: 1024, max_requests: 1024, max_retries: 3 };
/** Istio's `getDefaultCircuitBreakerThresholds` (cluster_traffic_policy.go): everything at MaxUint32. */
const MAX_UINT32 = 4294967295;
const ISTIO_DEFAULT: Thresholds = { max_connections: MAX_UINT32, max_pending_requests: MAX_UINT32, max_requests: MAX_UINT32, max_retries: MAX_UINT32 };

/** Host counters then gauges, in Envoy's ALL_HOST_STATS order (the JSON keeps it; the text sorts by name). */
const COUNTERS = ['cx_connect_fail', 'cx_total', 'rq_error', 'rq_success', 'rq_timeout', 'rq_total'] as const;
const GAUGES = ['cx_active', 'rq_active'] as const;

interface ClusterView {
  name: string;
  addedViaApi: boolean;
  edsServiceName?: string;
  defaultThresholds: Thresholds;
  hosts: HostView[];
}

interface HostView {
  address: string;
  port: number;
  /** Envoy's `address()->asString()`: `1.2.3.4:80`, `[::1]:80`. */
  key: string;
  /** A DNS cluster's host keeps the name it was resolved from; EDS hosts have none. */
  hostname: string;
  stats: HostStats | undefined;
}

/**
 * Every active cluster, static ones first, with its hosts: the endpoints it was given, plus the
 * hosts an ORIGINAL_DST cluster created as it connected (Envoy lists those too).
 */
function views(table: RouteTable, stats: EnvoyStats): ClusterView[] {
  const configs = new Map<string, { cluster: Cluster; dynamic: boolean }>();
  for (const c of table.snapshot.staticClusters) configs.set(c.name, { cluster: c, dynamic: false });
  for (const c of table.snapshot.clusters) configs.set(c.name, { cluster: c, dynamic: true });
  const out: ClusterView[] = [];
  for (const runtime of table.clusters.values()) {
    const cfg = configs.get(runtime.name);
    const dynamic = cfg?.dynamic ?? false;
    const eds = cfg?.cluster.eds_cluster_config?.service_name;
    out.push({
      name: runtime.name,
      addedViaApi: dynamic,
      ...(eds ? { edsServiceName: eds } : {}),
      // Istio applies its defaults to every cluster it builds but the BlackHoleCluster.
      defaultThresholds: dynamic && runtime.name !== 'BlackHoleCluster' ? ISTIO_DEFAULT : ENVOY_DEFAULT,
      hosts: hostViews(runtime, stats, cfg?.cluster.type),
    });
  }
  return out;
}

function hostViews(c: RuntimeCluster, stats: EnvoyStats, type: Cluster['type'] | undefined): HostView[] {
  const cs = stats.clusters.get(c.name);
  const hosts = new Map<string, HostView>();
  const dns = type === 'STRICT_DNS' || type === 'LOGICAL_DNS';
  for (const e of c.endpoints) {
    const key = formatAddress(e.address, e.port);
    hosts.set(key, { address: e.address, port: e.port, key, hostname: dns && isIP(e.address) === 0 ? e.address : '', stats: cs?.hosts.get(key) });
  }
  for (const [key, hs] of cs?.hosts ?? []) {
    if (hosts.has(key)) continue;
    const m = /^\[?(.*?)\]?:(\d+)$/.exec(key);
    if (m) hosts.set(key, { address: m[1], port: Number(m[2]), key, hostname: '', stats: hs });
  }
  return [...hosts.values()];
}

function thresholdLines(name: string, priority: string, t: Thresholds): string[] {
  return (Object.keys(t) as (keyof Thresholds)[]).map((k) => `${name}::${priority}_priority::${k}::${t[k]}`);
}

/** `/clusters`: Envoy's text lines. */
export function clustersText(table: RouteTable | undefined, stats: EnvoyStats): string {
  if (!table) return '';
  const out: string[] = [];
  for (const c of views(table, stats)) {
    out.push(`${c.name}::observability_name::${c.name}`, ...thresholdLines(c.name, 'default', c.defaultThresholds), ...thresholdLines(c.name, 'high', ENVOY_DEFAULT));
    out.push(`${c.name}::added_via_api::${c.addedViaApi}`);
    if (c.edsServiceName) out.push(`${c.name}::eds_service_name::${c.edsServiceName}`);
    for (const h of c.hosts) {
      const p = `${c.name}::${h.key}`;
      for (const stat of [...COUNTERS, ...GAUGES].sort()) out.push(`${p}::${stat}::${h.stats?.[stat] ?? 0}`);
      out.push(`${p}::hostname::${h.hostname}`, `${p}::health_flags::healthy`, `${p}::weight::1`, `${p}::region::`, `${p}::zone::`, `${p}::sub_zone::`);
      out.push(`${p}::canary::false`, `${p}::priority::0`, `${p}::success_rate::-1`, `${p}::local_origin_success_rate::-1`);
    }
  }
  return `${out.join('\n')}\n`;
}

/**
 * `/clusters?format=json`: admin.v3.Clusters as Envoy prints protos (field names as in the proto,
 * fields in field-number order, zero values and COUNTER/DEFAULT left out, uint64 as strings).
 * No outlier detector, so no success rates.
 */
export function clustersJson(table: RouteTable | undefined, stats: EnvoyStats): object {
  if (!table) return {};
  const statuses = views(table, stats).map((c) => {
    const hostStatuses = c.hosts.map((h) => ({
      address: { socket_address: { address: h.address, port_value: h.port } },
      stats: [
        ...COUNTERS.map((name) => ({ ...(h.stats?.[name] ? { value: String(h.stats[name]) } : {}), name })),
        ...GAUGES.map((name) => ({ type: 'GAUGE', ...(h.stats?.[name] ? { value: String(h.stats[name]) } : {}), name })),
      ],
      health_status: { eds_health_status: 'HEALTHY' },
      weight: 1,
      ...(h.hostname ? { hostname: h.hostname } : {}),
      locality: {},
    }));
    return {
      name: c.name,
      ...(c.addedViaApi ? { added_via_api: true } : {}),
      ...(hostStatuses.length > 0 ? { host_statuses: hostStatuses } : {}),
      circuit_breakers: { thresholds: [{ ...c.defaultThresholds }, { priority: 'HIGH', ...ENVOY_DEFAULT }] },
      observability_name: c.name,
      ...(c.edsServiceName ? { eds_service_name: c.edsServiceName } : {}),
    };
  });
  return statuses.length > 0 ? { cluster_statuses: statuses } : {};
}
