// Data shapes of the live flow view: flows, their legs, the rules each leg hit, and the aggregates.
import type { Endpoint4, FlowEvent, HostPort } from '../../../src-pod/sidecar/flow-events';
import type { PacketFields } from './trace-parser';

export type FlowVerdict = 'intercepted' | 'bypassed' | 'blocked';

/** One traced verdict on a leg's path through the rules. */
export interface RuleHit {
  table: string;
  chain: string;
  type: 'rule' | 'policy' | 'return';
  /** 1-based position in the chain (from iptables-save); null when unresolved (nft text, no index). */
  ruleNumber: number | null;
  handle: number | null;
  /** `-A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN`; null for policies. */
  ruleText: string | null;
  /** `JUMP:ISTIO_REDIRECT`, `ACCEPT`, `RETURN`, `policy:ACCEPT`. */
  verdict: string;
}

export interface LegEnd {
  role: 'app' | 'peer' | 'proxy' | 'upstream' | 'destination';
  address: string;
  port: number | null;
}

/** One hop between two sockets, with the rules its first packet went through. */
export interface Leg {
  from: LegEnd;
  to: LegEnd;
  /** Base chain the rules were entered from (`OUTPUT` for local senders, `PREROUTING` for peers). */
  hook: string | null;
  /** The traversal in order (our own trace table left out). */
  rules: RuleHit[];
  /** The rule that settled where the packet goes: the REDIRECT, the RETURN, a DROP, or the policy. */
  decidingRule: RuleHit | null;
  outcome: 'redirected' | 'returned' | 'accepted' | 'dropped' | 'pending' | 'untraced';
  redirectPort: number | null;
  traced: boolean;
}

export interface Flow {
  /** Increasing per joiner. */
  id: number;
  kind: 'connection' | 'request';
  /** For a request: the id of its connection's flow. */
  parentId: number | null;
  /** The proxy's connection id (links requests to their connection). */
  connectionId: number | null;
  direction: 'outbound' | 'inbound';
  proto: PacketFields['proto'];
  verdict: FlowVerdict;
  /** The proxy reported this connection (a redirected SYN the proxy never reported stays false). */
  proxySeen: boolean;
  /**
   * The proxy opened this connection for itself (its uid/gid 1337, or the inbound source 127.0.0.6)
   * and no flow it serves claimed it as an upstream leg: the proxy's own, e.g. to the control plane,
   * not the app's. Netfilter let it past the redirect, as Istio's owner rules do for the proxy.
   */
  proxyOwn: boolean;
  state: 'open' | 'closed';
  /** Who opened it (the SYN's source). */
  client: HostPort;
  /** Where it was going before any NAT (the proxy's original destination). */
  destination: HostPort;
  listener: string | null;
  cluster: string | null;
  route: string | null;
  upstream: Endpoint4 | null;
  response: FlowEvent['response'] | null;
  bytes: FlowEvent['bytes'] | null;
  timings: FlowEvent['timings'] | null;
  http: FlowEvent['http'] | null;
  /**
   * A request flow made from the proxy's `request.summary` (a load's requests beyond the stream's
   * rate, folded per connection): their counts. The flow's other fields are those of the last one.
   */
  summary?: NonNullable<FlowEvent['summary']>;
  /** Set on a trace-only flow that a late proxy event folded into the flow with this id. */
  mergedInto: number | null;
  /** Joiner clock (ms) when first seen and last changed. */
  firstSeen: number;
  updated: number;
  /** app/peer → proxy, proxy → upstream/app; or the single bypass leg. Requests share their connection's legs. */
  legs: Leg[];
}

export type FlowChange = 'new' | 'update' | 'final';

export interface FlowAggregates {
  /** Settled connection flows (closed, trace-only, or evicted while open). */
  connections: number;
  requests: number;
  byVerdict: Record<FlowVerdict, number>;
  byDirection: Record<'outbound' | 'inbound', number>;
  /** At most `maxAggregateKeys` keys; the rest count under `(other)`. */
  byCluster: Record<string, number>;
  byResponseFlags: Record<string, number>;
  /** `2xx`, `5xx`, `0` (TCP, no HTTP code). */
  byCodeClass: Record<string, number>;
}

export interface FlowJoinerOptions {
  /** How long a trace waits for its proxy event (and the reverse). Default 2000 ms. */
  holdMs?: number;
  /** How long a proxy-originated SYN (uid/gid 1337, 127.0.0.6) waits for the proxy to name it as its upstream while connections are open. Default 10000 ms. */
  upstreamHoldMs?: number;
  /** How long a redirected SYN emitted without a proxy event can still be claimed by a late one. Default 30000 ms. */
  lateMs?: number;
  /** Ring of recent flows. Default 5000. */
  maxFlows?: number;
  /** Cap of each pending map. Default 20000. */
  maxPending?: number;
  /** Cap of open (not yet closed) proxy connections tracked. Default 20000. */
  maxOpen?: number;
  maxAggregateKeys?: number;
  proxyUid?: number;
  proxyGid?: number;
  /** Trace events of this table are ignored (the lab's own marking table). */
  ownTable?: string;
  now?: () => number;
  onFlow?: (flow: Flow, change: FlowChange) => void;
}
