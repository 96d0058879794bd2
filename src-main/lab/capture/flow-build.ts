// Pure pieces of the flow join: a new flow's blank record, legs from a trace or from the proxy, a proxy event's facts on a flow.
import type { FlowEvent, HostPort } from '../../../src-pod/sidecar/flow-events';
import type { Flow, FlowVerdict, Leg, LegEnd, RuleHit } from './flow-types';
import { plain, summarize } from './flow-legs';
import type { PacketFields } from './trace-parser';

export const BLACKHOLE = 'BlackHoleCluster';

/** A flow as first seen: everything the proxy or the trace has not told yet is null. */
export function blankFlow(
  id: number,
  now: number,
  init: Partial<Flow> & Pick<Flow, 'direction' | 'verdict' | 'client' | 'destination' | 'legs'>,
): Flow {
  return {
    id,
    kind: 'connection',
    parentId: null,
    connectionId: null,
    proto: 'tcp',
    proxySeen: false,
    proxyOwn: false,
    state: 'open',
    listener: null,
    cluster: null,
    route: null,
    upstream: null,
    response: null,
    bytes: null,
    timings: null,
    http: null,
    mergedInto: null,
    firstSeen: now,
    updated: now,
    ...init,
  };
}

/** A leg the proxy reported, waiting for (or never getting) the trace of its SYN. */
export function untracedLeg(from: LegEnd, to: LegEnd): Leg {
  return { from, to, hook: null, rules: [], decidingRule: null, outcome: 'untraced', redirectPort: null, traced: false };
}

/**
 * The one leg of a connection only the kernel saw (bypassed, blocked by a rule, or redirected
 * to a proxy that never spoke), from its first packet and the rules that packet went through.
 */
export function tracedLeg(p: PacketFields, hits: RuleHit[]): { leg: Leg; inbound: boolean; verdict: FlowVerdict } {
  const inbound = p.in !== null && !p.loopback && p.out === null;
  const leg: Leg = {
    from: { role: inbound ? 'peer' : 'app', address: p.src, port: p.sport },
    to: { role: inbound ? 'app' : 'destination', address: p.dst, port: p.dport },
    hook: null,
    rules: hits,
    decidingRule: null,
    outcome: 'pending',
    redirectPort: null,
    traced: true,
  };
  summarize(leg);
  leg.hook = hits.find((h) => h.type !== 'return')?.chain ?? null;
  if (leg.outcome === 'redirected') leg.to = { role: 'proxy', address: inbound ? p.dst : '127.0.0.1', port: leg.redirectPort };
  const verdict = leg.outcome === 'dropped' ? 'blocked' : leg.outcome === 'redirected' ? 'intercepted' : 'bypassed';
  return { leg, inbound, verdict };
}

/** What a proxy event says of its connection or request: listener, cluster, upstream, bytes, timings, response. */
export function fillFromProxy(flow: Flow, ev: FlowEvent): void {
  flow.listener = ev.listener;
  flow.cluster = ev.cluster ?? flow.cluster;
  flow.route = ev.route ?? flow.route;
  flow.upstream = ev.upstream ?? flow.upstream;
  flow.bytes = ev.bytes;
  flow.timings = ev.timings;
  flow.response = ev.response;
  flow.proxySeen = true;
  if (ev.http) flow.http = ev.http;
  if (flow.cluster === BLACKHOLE || flow.legs.some((l) => l.outcome === 'dropped')) flow.verdict = 'blocked';
}

/** The proxy's downstream socket as the connection's ends: who opened it, and where it was going. */
export function endsOf(ev: FlowEvent): { client: HostPort; destination: HostPort } {
  const d = ev.downstream;
  return {
    client: { address: plain(d.remoteAddress), port: d.remotePort },
    destination: ev.originalDst
      ? { address: plain(ev.originalDst.address), port: ev.originalDst.port }
      : { address: plain(d.localAddress), port: d.localPort },
  };
}
