// What istiod pushes to this proxy, plus the bootstrap's static listeners and clusters: one immutable snapshot per push.
import type { ProxyConfig } from '../config';
import { duration, socketAddress, TYPE, type Cluster, type Listener, type XdsSnapshot } from './envoy-types';
import { buildClusters } from './clusters';
import { httpConnectionManager } from './filters';
import { virtualInbound } from './inbound';
import { outboundListeners, rdsNames, virtualOutbound } from './outbound';
import { outboundRouteConfig } from './routes';
import { modelServices } from './services';
import { sidecarScopeServices } from './sidecar-scope';

export interface ProxyPorts {
  outbound: number;
  inbound: number;
  prometheus: number;
  health: number;
  admin: number;
  agent: number;
}

export const DEFAULT_PORTS: ProxyPorts = { outbound: 15001, inbound: 15006, prometheus: 15090, health: 15021, admin: 15000, agent: 15020 };

/** A bootstrap listener serving one path from a local cluster (Istio's 15090 and 15021). */
function staticListener(config: ProxyConfig, port: number, path: string, cluster: string, statPrefix: string): Listener {
  const hcm = httpConnectionManager(config, {
    statPrefix,
    direction: 'outbound',
    routeConfig: {
      name: 'local_route',
      virtual_hosts: [{ name: 'backend', domains: ['*'], routes: [{ name: 'default', match: { prefix: path }, route: { cluster, timeout: '0s', max_grpc_timeout: '0s' } }] }],
      validate_clusters: false,
    },
  });
  // The bootstrap's listeners log nothing.
  delete (hcm.typed_config as { access_log?: unknown }).access_log;
  return { '@type': TYPE.listener, name: `0.0.0.0_${port}`, address: socketAddress('0.0.0.0', port), filter_chains: [{ filters: [hcm] }] };
}

function staticCluster(config: ProxyConfig, name: string, port: number): Cluster {
  return {
    '@type': TYPE.cluster,
    name,
    type: 'STATIC',
    connect_timeout: duration(config.mesh.connectTimeoutMs),
    lb_policy: 'ROUND_ROBIN',
    load_assignment: { cluster_name: name, endpoints: [{ locality: {}, lb_endpoints: [{ endpoint: { address: socketAddress('127.0.0.1', port) }, health_status: 'HEALTHY', load_balancing_weight: 1 }] }] },
  };
}

export function buildSnapshot(config: ProxyConfig, ports: ProxyPorts, tproxy: boolean): XdsSnapshot {
  const allowAny = (config.sidecar?.outboundTrafficPolicy?.mode ?? config.mesh.outboundTrafficPolicy.mode) === 'ALLOW_ANY';
  const services = sidecarScopeServices(config, modelServices(config));
  const perPort = outboundListeners(config, services, allowAny);
  const { clusters, endpoints } = buildClusters(config, services);
  return {
    version: config.version,
    staticListeners: [
      staticListener(config, ports.prometheus, '/stats/prometheus', 'prometheus_stats', 'stats'),
      staticListener(config, ports.health, '/healthz/ready', 'agent', 'agent'),
    ],
    listeners: [...perPort, virtualOutbound(config, ports.outbound, allowAny, tproxy), virtualInbound(config, ports.inbound, tproxy)],
    staticClusters: [staticCluster(config, 'prometheus_stats', ports.admin), staticCluster(config, 'agent', ports.agent)],
    clusters,
    routes: rdsNames(perPort).map((name) => outboundRouteConfig(config, services, name, allowAny)),
    endpoints,
  };
}
