// Per-rule packet/byte deltas between two `iptables-save -c` snapshots, keyed by table/chain/rule number.
import { parseIptablesSave, type RuleSet } from '../../../src-pod/istio-iptables/save-parser';

export interface RuleCounterDelta {
  table: string;
  chain: string;
  /** 1-based position in the later snapshot. */
  ruleNumber: number;
  /** `-A CHAIN …` as iptables-save prints it. */
  ruleText: string;
  packets: number;
  bytes: number;
  /** Totals in the later snapshot. */
  totalPackets: number;
  totalBytes: number;
  /** Not in the earlier snapshot (inserted since): the delta is its whole count. */
  added: boolean;
  /** The counters went down (zeroed with -Z, or the rule was replaced): the delta is the new total. */
  reset: boolean;
}

export interface PolicyCounterDelta {
  table: string;
  chain: string;
  policy: string;
  packets: number;
  bytes: number;
}

export interface CounterDeltas {
  /** Key `table/chain/ruleNumber`, e.g. `nat/ISTIO_OUTPUT/5`. */
  rules: Map<string, RuleCounterDelta>;
  /** Packets that fell through to a built-in chain's policy. Key `table/chain`. */
  policies: Map<string, PolicyCounterDelta>;
  /** Rules of the earlier snapshot that are gone. */
  removed: { table: string; chain: string; ruleText: string }[];
}

export const counterKey = (table: string, chain: string, ruleNumber: number): string =>
  `${table}/${chain}/${ruleNumber}`;

function delta(after: number, before: number): { value: number; reset: boolean } {
  return after >= before ? { value: after - before, reset: false } : { value: after, reset: true };
}

/**
 * Rules are matched by their canonical text, in order, not by position: a rule inserted at the
 * top of a chain shifts every number after it, and its neighbours keep their counters.
 */
export function counterDeltas(before: string | RuleSet, after: string | RuleSet): CounterDeltas {
  const a = typeof before === 'string' ? parseIptablesSave(before) : before;
  const b = typeof after === 'string' ? parseIptablesSave(after) : after;
  const out: CounterDeltas = { rules: new Map(), policies: new Map(), removed: [] };
  for (const table of b.values()) {
    for (const chain of table.chains.values()) {
      const old = a.get(table.name)?.chains.get(chain.name);
      // Earlier rules by canonical text, each usable once, in order.
      const pool = new Map<string, { packets: number; bytes: number }[]>();
      for (const r of old?.rules ?? []) {
        const list = pool.get(r.canonical) ?? [];
        list.push({ packets: r.counters?.packets ?? 0, bytes: r.counters?.bytes ?? 0 });
        pool.set(r.canonical, list);
      }
      chain.rules.forEach((r, i) => {
        const prev = pool.get(r.canonical)?.shift();
        const packets = r.counters?.packets ?? 0;
        const bytes = r.counters?.bytes ?? 0;
        const dp = delta(packets, prev?.packets ?? 0);
        const db = delta(bytes, prev?.bytes ?? 0);
        out.rules.set(counterKey(table.name, chain.name, i + 1), {
          table: table.name,
          chain: chain.name,
          ruleNumber: i + 1,
          ruleText: r.text,
          packets: dp.value,
          bytes: db.value,
          totalPackets: packets,
          totalBytes: bytes,
          added: prev === undefined,
          reset: dp.reset || db.reset,
        });
      });
      for (const [canonical, left] of pool)
        for (let k = 0; k < left.length; k++) {
          const text = old?.rules.find((r) => r.canonical === canonical)?.text ?? canonical;
          out.removed.push({ table: table.name, chain: chain.name, ruleText: text });
        }
      if (chain.policy !== null && chain.counters) {
        const p = delta(chain.counters.packets, old?.counters?.packets ?? 0);
        const by = delta(chain.counters.bytes, old?.counters?.bytes ?? 0);
        out.policies.set(`${table.name}/${chain.name}`, {
          table: table.name,
          chain: chain.name,
          policy: chain.policy,
          packets: p.value,
          bytes: by.value,
        });
      }
    }
  }
  for (const table of a.values())
    for (const chain of table.chains.values())
      if (!b.get(table.name)?.chains.has(chain.name))
        for (const r of chain.rules)
          out.removed.push({ table: table.name, chain: chain.name, ruleText: r.text });
  return out;
}

/** Only the rules that counted something, busiest first. */
export function activeRules(d: CounterDeltas): RuleCounterDelta[] {
  return [...d.rules.values()].filter((r) => r.packets > 0).sort((x, y) => y.packets - x.packets);
}
