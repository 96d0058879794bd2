// Per-connection header policy for both HTTP engines: the server name, the peer metadata, and the connection manager's own request headers.
import type { ProxyConfig } from '../config';

/** Headers Istio's metadata exchange owns: set on outbound requests, read and removed on inbound ones. */
export const PEER_METADATA = 'x-envoy-peer-metadata';
export const PEER_METADATA_ID = 'x-envoy-peer-metadata-id';

/** What one connection's router adds; computed once per connection from its chain and the pushed config. */
export interface HeaderPolicy {
  /** The HCM's `server_name`: `envoy` (Envoy's default) outbound, `istio-envoy` inbound. */
  server: string;
  /** Outbound only: Istio's metadata exchange headers, `[id, base64 Struct]`. */
  peer?: [string, string];
  direction: 'outbound' | 'inbound';
}

/** Per request: what the client sent that the added headers depend on. */
export interface RequestFacts {
  hasForwardedProto: boolean;
  hasRequestId: boolean;
  requestId: string;
  attempt: number;
  decorator?: string;
}

/**
 * The connection manager's own request headers, first on every upstream request:
 * `x-forwarded-proto` when absent (a sidecar has use_remote_address false), `x-request-id` when
 * absent. The router's and the filters' follow (http/filter-chain.ts).
 */
export function connectionManagerRequestHeaders(f: RequestFacts, out: string[]): void {
  if (!f.hasForwardedProto) out.push('x-forwarded-proto', 'http');
  if (!f.hasRequestId) out.push('x-request-id', f.requestId);
}

// google.protobuf.Struct in protobuf wire format: fields (1) map<string, Value>; Value.string_value is 3, struct_value 5.
function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

function field(tag: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([(tag << 3) | 2]), varint(payload.length), payload]);
}

type StructValue = string | { [key: string]: StructValue };

function encodeStruct(fields: Record<string, StructValue>): Buffer {
  return Buffer.concat(
    Object.entries(fields).map(([k, v]) => {
      const value = typeof v === 'string' ? field(3, Buffer.from(v, 'utf8')) : field(5, encodeStruct(v));
      return field(1, Buffer.concat([field(1, Buffer.from(k, 'utf8')), field(2, value)]));
    }),
  );
}

/** The proxy's node id, as pilot-agent names a sidecar. */
export function nodeId(config: ProxyConfig): string {
  const { pod } = config;
  return `sidecar~${pod.ip}~${pod.name}.${pod.namespace}~${pod.namespace}.svc.cluster.local`;
}

/** The node metadata Istio's metadata exchange sends to peers (a subset of the proxy's node metadata). */
export function peerMetadata(config: ProxyConfig): [string, string] {
  const { pod } = config;
  const meta = encodeStruct({
    CLUSTER_ID: 'Kubernetes',
    INSTANCE_IPS: pod.ip,
    MESH_ID: 'cluster.local',
    NAME: pod.name,
    NAMESPACE: pod.namespace,
    WORKLOAD_NAME: pod.workload,
  });
  return [nodeId(config), meta.toString('base64')];
}

// Encoded once per pushed config, not per connection.
const peerCache = new WeakMap<ProxyConfig, [string, string]>();

export function headerPolicy(config: ProxyConfig | undefined, direction: 'outbound' | 'inbound', server: string): HeaderPolicy {
  if (direction === 'inbound' || !config) return { server, direction };
  let peer = peerCache.get(config);
  if (!peer) peerCache.set(config, (peer = peerMetadata(config)));
  return { server, direction, peer };
}
