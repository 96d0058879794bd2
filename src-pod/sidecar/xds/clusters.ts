// Istio's clusters (cluster_builder.go) and their EDS endpoints, for the visible services and the pod's inbound ports.
import type { ProxyConfig } from '../config';
import { listenerProtocol } from '../protocol';
import { ads, duration, socketAddress, TYPE, type Cluster, type ClusterLoadAssignment, type ClusterType } from './envoy-types';
import { inboundPorts, ingressEndpoint } from './inbound';
import { BLACKHOLE, INBOUND_PASSTHROUGH, outboundClusterName, PASSTHROUGH } from './routes';
import type { ModelEndpoint, ModelService } from './services';

/** Where inbound upstream connections come from (Istio >= 1.10). */
export const INBOUND_SOURCE_ADDRESS = '127.0.0.6';

function base(config: ProxyConfig, name: string, type: ClusterType): Cluster {
  return {
    '@type': TYPE.cluster,
    name,
    type,
    connect_timeout: duration(config.mesh.connectTimeoutMs),
    lb_policy: type === 'ORIGINAL_DST' ? 'CLUSTER_PROVIDED' : 'LEAST_REQUEST',
  };
}

export function loadAssignment(name: string, endpoints: ModelEndpoint[]): ClusterLoadAssignment {
  return {
    cluster_name: name,
    endpoints:
      endpoints.length === 0
        ? []
        : [{ locality: {}, lb_endpoints: endpoints.map((e) => ({ endpoint: { address: socketAddress(e.address, e.port) }, health_status: 'HEALTHY' as const, load_balancing_weight: 1 })) }],
  };
}

const bindInbound = { upstream_bind_config: { source_address: { address: INBOUND_SOURCE_ADDRESS, port_value: 0 } } };

export interface ClusterSet {
  clusters: Cluster[];
  endpoints: ClusterLoadAssignment[];
}

/** The dynamic clusters: outbound per service port, inbound per pod port, and the three passthrough ones. */
export function buildClusters(config: ProxyConfig, services: ModelService[]): ClusterSet {
  const clusters: Cluster[] = [];
  const endpoints: ClusterLoadAssignment[] = [];
  const seen = new Set<string>();
  for (const svc of services) {
    for (const p of svc.ports) {
      if (listenerProtocol(p.protocol) === 'none') continue;
      const name = outboundClusterName(p.port, svc.hostname);
      if (seen.has(name)) continue;
      seen.add(name);
      const eps = svc.endpoints.get(p.port) ?? [];
      const type: ClusterType =
        svc.resolution === 'Passthrough' ? 'ORIGINAL_DST' : svc.resolution === 'DNSLB' ? 'STRICT_DNS' : svc.resolution === 'DNSRoundRobinLB' ? 'LOGICAL_DNS' : 'EDS';
      const c = base(config, name, type);
      if (type === 'EDS') {
        c.eds_cluster_config = { eds_config: ads(), service_name: name };
        endpoints.push(loadAssignment(name, eps));
      } else if (type !== 'ORIGINAL_DST') c.load_assignment = loadAssignment(name, eps);
      c.metadata = { filter_metadata: { istio: { services: [{ host: svc.hostname, name: svc.name, namespace: svc.namespace }] } } };
      clusters.push(c);
    }
  }
  for (const p of inboundPorts(config)) {
    const fixed = ingressEndpoint(config, p.port);
    const unspecified = fixed === undefined || fixed.address === '0.0.0.0' || fixed.address === '::';
    const c = base(config, p.cluster, unspecified ? 'ORIGINAL_DST' : 'STATIC');
    if (!unspecified) c.load_assignment = loadAssignment(p.cluster, [fixed]);
    clusters.push({ ...c, ...bindInbound });
  }
  clusters.push(
    { ...base(config, BLACKHOLE, 'STATIC') },
    { ...base(config, PASSTHROUGH, 'ORIGINAL_DST') },
    { ...base(config, INBOUND_PASSTHROUGH, 'ORIGINAL_DST'), ...bindInbound },
  );
  return { clusters, endpoints };
}

/** A Sidecar ingress `0.0.0.0:PORT` sends to the pod IP on PORT (an ORIGINAL_DST cluster with another port). */
export function ingressPortOverride(config: ProxyConfig, port: number): number | undefined {
  const fixed = ingressEndpoint(config, port);
  return fixed && (fixed.address === '0.0.0.0' || fixed.address === '::') ? fixed.port : undefined;
}
