// Pure helpers of the rules view: which counters moved between two snapshots, and compact numbers.
import type { PodRules } from '../../../src-main/contract/types';

export const ruleKey = (table: string, chain: string, number: number) => `${table}/${chain}/${number}`;

/** Rules whose packet counter went up since the previous snapshot of the same pod. */
export function movedCounters(previous: PodRules | null, next: PodRules): Set<string> {
  const moved = new Set<string>();
  if (!previous || previous.pod !== next.pod || previous.namespace !== next.namespace) return moved;
  const before = new Map<string, number>();
  for (const t of previous.tables)
    for (const c of t.chains) for (const r of c.rules) before.set(ruleKey(t.name, c.name, r.number), r.counters?.packets ?? 0);
  for (const t of next.tables) {
    for (const c of t.chains) {
      for (const r of c.rules) {
        const key = ruleKey(t.name, c.name, r.number);
        if ((r.counters?.packets ?? 0) > (before.get(key) ?? 0)) moved.add(key);
      }
    }
  }
  return moved;
}

export function compact(n: number | undefined): string {
  if (n === undefined) return '—';
  if (n < 10_000) return String(n);
  if (n < 10_000_000) return `${(n / 1000).toFixed(n < 100_000 ? 1 : 0)}K`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

/** The rule without `-A CHAIN`, which the chain's heading already says. */
export function ruleBody(text: string, chain: string): string {
  const prefix = `-A ${chain} `;
  return text.startsWith(prefix) ? text.slice(prefix.length) : text;
}
