// Per-connection header policy for both HTTP engines: the server name, the peer metadata, and the connection manager's own request and response headers.
import type { ProxyConfig } from '../config';

/** Headers Istio's metadata exchange owns: set on outbound requests, read and removed on inbound ones. */
export const PEER_METADATA = 'x-envoy-peer-metadata';
export const PEER_METADATA_ID = 'x-envoy-peer-metadata-id';

/** What one connection's router adds; computed once per connection from its chain and the pushed config. */
export interface HeaderPolicy {
  /** The HCM's `server_name`: `envoy` (Envoy's default) outbound, `istio-envoy` inbound. */
  server: string;
  /** Istio's metadata exchange headers, `[id, base64 Struct]`: sent outbound, echoed inbound. */
  peer?: [string, string];
  direction: 'outbound' | 'inbound';
}

/** Per request: what the client sent that the added headers depend on. */
export interface RequestFacts {
  hasForwardedProto: boolean;
  hasRequestId: boolean;
  requestId: string;
  attempt: number;
  /** The route's decorator operation (Istio sets one on every route). */
  decorator?: string;
}

/** Per response: what the request and the upstream's head say that the added headers depend on. */
export interface ResponseFacts {
  /** Since the request was sent upstream, whole milliseconds (the router's). */
  serviceTimeMs: number;
  /** The request carried `x-envoy-peer-metadata-id` / `x-envoy-peer-metadata` (bit 1 / bit 2). */
  peerReceived: number;
  decorator?: string;
  /** The upstream sent its own `date` (kept) / `server` (rewritten where it stands). */
  hasDate: boolean;
  hasServer: boolean;
}

/** Which of Istio's two metadata headers a request carried, as `ResponseFacts.peerReceived` holds them. */
export const PEER_ID_RECEIVED = 1;
export const PEER_RECEIVED = 2;

/** Headers the connection manager owns on both sides: the tracing decorator (Egress sets it, Ingress strips it). */
export const DECORATOR = 'x-envoy-decorator-operation';

/**
 * The connection manager's own request headers, before any filter's (Envoy's HCM decodeHeaders:
 * mutateRequestHeaders, then traceRequest): `x-forwarded-proto` when absent (a sidecar has
 * use_remote_address false), `x-request-id` when absent, and outbound (tracing operation Egress)
 * the route's decorator. The filters' and the router's follow (http/filter-chain.ts).
 */
export function connectionManagerRequestHeaders(policy: HeaderPolicy, f: RequestFacts, out: string[]): void {
  if (!f.hasForwardedProto) out.push('x-forwarded-proto', 'http');
  if (!f.hasRequestId) out.push('x-request-id', f.requestId);
  if (policy.direction === 'outbound' && f.decorator !== undefined) out.push(DECORATOR, f.decorator);
}

/** Envoy's date provider: one HTTP date per second, not one per response. */
let dateSecond = -1;
let dateText = '';
export function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}

/**
 * The connection manager's response headers, after every encoder filter's (Envoy's HCM
 * encodeHeaders): `date` when the upstream sent none, `server` (server_header_transformation
 * OVERWRITE: appended when absent, rewritten in place otherwise), and inbound (tracing operation
 * Ingress, decorator propagate) the route's decorator for the caller's span.
 */
export function connectionManagerResponseHeaders(policy: HeaderPolicy, f: ResponseFacts, out: string[]): void {
  if (!f.hasDate) out.push('date', httpDate());
  if (!f.hasServer) out.push('server', policy.server);
  if (policy.direction === 'inbound' && f.decorator !== undefined) out.push(DECORATOR, f.decorator);
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
  if (!config) return { server, direction };
  let peer = peerCache.get(config);
  if (!peer) peerCache.set(config, (peer = peerMetadata(config)));
  return { server, direction, peer };
}
