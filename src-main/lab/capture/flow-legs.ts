// Pure helpers of the flow join: the 5-tuple key and how a leg's traced rules settle its outcome.
import type { FlowAggregates, Leg, RuleHit } from './flow-types';

export const plain = (a: string): string => (a.startsWith('::ffff:') ? a.slice(7) : a);
/** The join key: protocol and both ends of the SYN before NAT (what the proxy calls remote + original dst). */
export const tupleKey = (
  proto: string,
  src: string,
  sport: number | null,
  dst: string,
  dport: number | null,
): string => `${proto}|${plain(src)}|${sport ?? ''}|${plain(dst)}|${dport ?? ''}`;

export function summarize(leg: Leg): void {
  let deciding: RuleHit | null = null;
  let outcome: Leg['outcome'] = 'pending';
  let redirectPort: number | null = null;
  for (const h of leg.rules) {
    const port =
      h.verdict === 'ACCEPT'
        ? /--to-ports? (\d+)|--on-port (\d+)|redirect to :(\d+)|tproxy to :(\d+)/.exec(
            h.ruleText ?? '',
          )
        : null;
    if (port) {
      redirectPort = Number(port[1] ?? port[2] ?? port[3] ?? port[4]);
      deciding = h;
      outcome = 'redirected';
    } else if (
      h.verdict === 'DROP' ||
      h.verdict === 'policy:DROP' ||
      /-j REJECT\b|\breject\b/.test(h.ruleText ?? '')
    ) {
      deciding = h;
      outcome = 'dropped';
    } else if (outcome === 'redirected' || outcome === 'dropped') continue;
    else if (h.verdict === 'RETURN' && h.type === 'rule') {
      deciding = h;
      outcome = 'returned';
    } else if (h.verdict === 'ACCEPT' && h.type === 'rule') {
      deciding = h;
      outcome = 'accepted';
    } else if (h.type === 'policy' && deciding === null) {
      // Fell through every rule (or a user chain ran out): the base chain's policy decided.
      deciding = h;
      outcome = h.verdict === 'policy:DROP' ? 'dropped' : 'accepted';
    }
  }
  leg.decidingRule = deciding;
  leg.outcome = outcome;
  leg.redirectPort = redirectPort;
}

export const emptyAggregates = (): FlowAggregates => ({
  connections: 0,
  requests: 0,
  byVerdict: { intercepted: 0, bypassed: 0, blocked: 0 },
  byDirection: { outbound: 0, inbound: 0 },
  byCluster: {},
  byResponseFlags: {},
  byCodeClass: {},
});
