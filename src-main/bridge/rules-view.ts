// The core's parsed iptables-save (Maps, canonical forms) as the contract's plain tables and diffs.
import type { RuleSet, RuleSetDiff } from '../../src-pod/istio-iptables';
import type { RulesDiff, TableInfo } from '../contract/types';

/** The tables the window shows, in the order packets meet them. */
export const SHOWN_TABLES = ['raw', 'mangle', 'nat'];

export function toTables(rules: RuleSet, shown = SHOWN_TABLES): TableInfo[] {
  const out: TableInfo[] = [];
  for (const name of shown) {
    const table = rules.get(name);
    const chains = [...(table?.chains.values() ?? [])]
      // Built-in chains first (as iptables-save prints them), then the ones Istio created.
      .sort((a, b) => Number(a.policy === null) - Number(b.policy === null))
      .map((chain) => ({
        name: chain.name,
        policy: chain.policy,
        ...(chain.counters ? { counters: chain.counters } : {}),
        rules: chain.rules.map((rule, i) => ({
          number: i + 1,
          text: rule.text,
          ...(rule.parsed.target ?? rule.parsed.goto ? { target: rule.parsed.target ?? rule.parsed.goto } : {}),
          ...(rule.counters ? { counters: rule.counters } : {}),
        })),
      }));
    out.push({ name, chains });
  }
  return out;
}

export function toRulesDiff(namespace: string, pod: string, diff: RuleSetDiff, text: string): RulesDiff {
  return {
    namespace,
    pod,
    equal: diff.equal,
    text,
    chains: diff.chains.map((c) => ({
      table: c.table,
      chain: c.chain,
      status: c.status,
      onlyExpected: c.onlyInA,
      onlyLive: c.onlyInB,
      orderDiffers: c.orderDiffers,
      ...(c.status === 'changed' ? { policyExpected: c.policyA, policyLive: c.policyB } : {}),
    })),
  };
}

/**
 * iptables-restore input that puts back exactly `expected`: every shown table is written, so a table
 * Istio leaves empty is flushed of whatever was added to it by hand.
 */
export function restoreText(expected: RuleSet, toSave: (rs: RuleSet) => string, shown = SHOWN_TABLES): string {
  const full: RuleSet = new Map(expected);
  for (const name of shown) if (!full.has(name)) full.set(name, { name, chains: new Map() });
  return toSave(full);
}
