// Istio's outbound route configurations (httproute.go): one per port, or per sniffed service; virtual hosts and their domains.
import type { ProxyConfig } from '../config';
import { listenerProtocol } from '../protocol';
import type { RetryPolicy, RouteConfiguration, VirtualHost } from './envoy-types';
import { duration } from './envoy-types';
import { UNSPECIFIED, type ModelService } from './services';

export const PASSTHROUGH = 'PassthroughCluster';
export const BLACKHOLE = 'BlackHoleCluster';
export const INBOUND_PASSTHROUGH = 'InboundPassthroughCluster';
const MAX_DIRECT_RESPONSE_BODY = 1_048_576;

export function outboundClusterName(port: number, host: string): string {
  return `outbound|${port}||${host}`;
}

/** Istio's default retry policy (route/retry/retry.go), with the mesh's attempts. */
export function defaultRetryPolicy(attempts: number): RetryPolicy {
  return {
    retry_on: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes',
    num_retries: attempts,
    retry_host_predicate: [
      { name: 'envoy.retry_host_predicates.previous_hosts', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate' } },
    ],
    host_selection_retry_max_attempts: '5',
    retriable_status_codes: [503],
  };
}

/** The names a client may use for a Kubernetes service, without ports (the route ignores them). */
function altHosts(hostname: string, podNamespace: string): string[] {
  const ih = hostname.indexOf('.svc.');
  if (ih <= 0) return [];
  const ns = hostname.indexOf('.');
  if (ns + 1 > ih) return [];
  const short = hostname.slice(0, ns);
  const nsPart = hostname.slice(ns + 1, ih);
  const withNs = hostname.slice(0, ih);
  return nsPart === podNamespace ? [short, `${withNs}.svc`, withNs] : [withNs, `${withNs}.svc`];
}

const v6 = (a: string): string => (a.includes(':') ? `[${a}]` : a);

function domainsFor(svc: ModelService, podNamespace: string): string[] {
  const out = [v6(svc.hostname), ...altHosts(svc.hostname, podNamespace)];
  if (svc.resolution === 'Passthrough' && svc.registry === 'Kubernetes') {
    for (const d of [...out]) out.push(`*.${d}`);
  }
  if (svc.address !== '' && svc.address !== UNSPECIFIED) out.push(v6(svc.address));
  return out;
}

/**
 * Every service's virtual host on `port` (HTTP or sniffed ports), deduplicated as Istio does:
 * BuildSidecarOutboundVirtualHosts keys services by hostname, so of a ServiceEntry's per-address
 * services the last one's address is the virtual host's.
 */
function virtualHosts(config: ProxyConfig, services: ModelService[], port: number): VirtualHost[] {
  const byName = new Map<string, ModelService>();
  for (const svc of services) {
    const p = svc.ports.find((x) => x.port === port);
    if (!p) continue;
    const lp = listenerProtocol(p.protocol);
    if (lp === 'http' || lp === 'auto') byName.set(svc.hostname, svc);
  }
  const used = new Set<string>();
  const out: VirtualHost[] = [];
  for (const svc of byName.values()) {
    const name = `${svc.hostname}:${port}`;
    const domains = domainsFor(svc, config.pod.namespace).filter((d) => !used.has(d.toLowerCase()));
    for (const d of domains) used.add(d.toLowerCase());
    if (domains.length === 0) continue;
    out.push({
      name,
      domains,
      routes: [
        {
          name: 'default',
          match: { prefix: '/' },
          route: {
            cluster: outboundClusterName(port, svc.hostname),
            timeout: duration(config.mesh.routeTimeoutMs),
            retry_policy: defaultRetryPolicy(config.mesh.httpRetryAttempts),
            max_grpc_timeout: duration(config.mesh.routeTimeoutMs),
          },
          decorator: { operation: `${svc.hostname}:${port}/*` },
        },
      ],
      include_request_attempt_count: true,
    });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function catchAll(allowAny: boolean): VirtualHost {
  if (allowAny) {
    return {
      name: 'allow_any',
      domains: ['*'],
      routes: [{ name: 'allow_any', match: { prefix: '/' }, route: { cluster: PASSTHROUGH, timeout: '0s', max_grpc_timeout: '0s' } }],
      include_request_attempt_count: true,
    };
  }
  return {
    name: 'block_all',
    domains: ['*'],
    routes: [{ name: 'block_all', match: { prefix: '/' }, direct_response: { status: 502 } }],
    include_request_attempt_count: true,
  };
}

/**
 * The route configuration named `name`: `"80"` (every service on port 80, then the catch-all
 * virtual host) or `"host:80"` (a sniffed service's own listener: its virtual host alone, for `*`).
 */
export function outboundRouteConfig(config: ProxyConfig, services: ModelService[], name: string, allowAny: boolean): RouteConfiguration {
  const colon = name.lastIndexOf(':');
  const sniffed = colon !== -1;
  const port = Number(sniffed ? name.slice(colon + 1) : name);
  let vhosts = virtualHosts(config, services, port);
  if (sniffed) {
    const host = name.slice(0, colon);
    vhosts = vhosts.filter((v) => v.domains.includes(host) || v.domains.includes(name));
    if (vhosts.length === 1) vhosts[0] = { ...vhosts[0], domains: ['*'] };
  } else vhosts.push(catchAll(allowAny));
  return {
    name,
    virtual_hosts: vhosts,
    validate_clusters: false,
    max_direct_response_body_size_bytes: MAX_DIRECT_RESPONSE_BODY,
    ignore_port_in_host_matching: true,
  };
}
