// `proxy-status -o json|yaml`: istiod's syncz DiscoveryResponse (ClientConfig per proxy, istiod's identity) as istioctl prints it (protojson, 4-space indent; sigs.k8s.io/yaml).
import { goYamlMarshal } from './kube-inject/go-yaml';
import type { SyncRow } from './proxy-status';

const CLIENT_CONFIG = 'type.googleapis.com/envoy.service.status.v3.ClientConfig';

/** The xDS types istiod reports per proxy, in the order its syncz lists them. */
const TYPES: { url: string; status: (r: SyncRow) => string }[] = [
  { url: 'type.googleapis.com/envoy.config.cluster.v3.Cluster', status: (r) => r.cds },
  { url: 'type.googleapis.com/envoy.config.listener.v3.Listener', status: (r) => r.lds },
  { url: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration', status: (r) => r.rds },
  { url: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment', status: (r) => r.eds },
  { url: 'type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig', status: (r) => r.ecds },
];

/** istio.io/pkg/version BuildInfo as istiod's control-plane identifier carries it. */
export interface BuildInfo {
  version: string;
  revision: string;
  golang_version: string;
  status: string;
  tag: string;
}

/** One istiod's answer to a syncz request: its push version, a ClientConfig per proxy, and its identity (IstioControlPlaneInstance as JSON). */
export function syncResponse(rows: SyncRow[], versionInfo: string, istiod: string, info: BuildInfo): Record<string, unknown> {
  const sorted = [...rows].sort((a, b) => (a.proxyId < b.proxyId ? -1 : a.proxyId > b.proxyId ? 1 : 0));
  // Field order is the proto's: DiscoveryResponse version_info(1) resources(2) type_url(4) control_plane(6).
  return {
    versionInfo,
    resources: sorted.map((r) => ({
      '@type': CLIENT_CONFIG,
      node: { id: r.proxyId, metadata: { CLUSTER_ID: r.clusterId, ISTIO_VERSION: r.version } },
      genericXdsConfigs: TYPES.map((t) => ({ typeUrl: t.url, configStatus: t.status(r) })),
    })),
    typeUrl: CLIENT_CONFIG,
    controlPlane: {
      identifier: JSON.stringify({
        Component: 'istiod',
        ID: istiod,
        Info: { version: info.version, revision: info.revision, golang_version: info.golang_version, status: info.status, tag: info.tag },
      }),
    },
  };
}

/** What istioctl writes: the JSON indented by four spaces, or the YAML, each followed by a newline (fmt.Fprintln). */
export function formatSyncResponse(response: Record<string, unknown>, format: 'json' | 'yaml'): string {
  return format === 'json' ? `${JSON.stringify(response, null, 4)}\n` : `${goYamlMarshal(response)}\n`;
}
