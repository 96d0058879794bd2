// iptables-save / iptables-restore text as tables -> chains -> rules, the final rule order, and readable diffs.
import { canonicalRule, parseRuleSpec, quoteWord, tokenize } from './rule-normalize';
import type { ParsedRule } from './rule-normalize';

export interface Counters {
  packets: number;
  bytes: number;
}

export interface SavedRule {
  /** "-A CHAIN ..." without the counters prefix. */
  text: string;
  /** The words after "-A CHAIN". */
  spec: string[];
  /** Parsed matches and target. */
  parsed: ParsedRule;
  /** Canonical form used for comparisons (see canonicalRule). */
  canonical: string;
  counters?: Counters;
}

export interface SavedChain {
  name: string;
  /** ACCEPT/DROP for built-in chains, null for user-defined chains. */
  policy: string | null;
  counters?: Counters;
  rules: SavedRule[];
}

export interface SavedTable {
  name: string;
  chains: Map<string, SavedChain>;
}

export type RuleSet = Map<string, SavedTable>;

const BUILT_IN_CHAINS = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);

export class SaveParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SaveParseError';
  }
}

function makeRule(chain: string, spec: string[], counters?: Counters): SavedRule {
  return {
    text: ['-A', chain, ...spec].map(quoteWord).join(' '),
    spec,
    parsed: parseRuleSpec(spec),
    canonical: canonicalRule(spec),
    counters,
  };
}

function parseCounters(s: string | undefined): Counters | undefined {
  const m = /^\[(\d+):(\d+)\]$/.exec(s ?? '');
  return m ? { packets: Number(m[1]), bytes: Number(m[2]) } : undefined;
}

/**
 * Apply restore-format text (what iptables-save prints, or what iptables-restore --noflush reads: -N, -A,
 * -I [N], -D, -F, -X, -P) on top of `base`, giving the final tables with every chain's rules in final order.
 */
export function applyRestore(text: string, base: RuleSet = new Map()): RuleSet {
  const tables: RuleSet = new Map(
    [...base].map(([n, t]) => [
      n,
      {
        name: n,
        chains: new Map([...t.chains].map(([c, ch]) => [c, { ...ch, rules: [...ch.rules] }])),
      },
    ]),
  );
  let table: SavedTable | null = null;
  const lines = text.split('\n');
  const fail = (n: number, msg: string) =>
    new SaveParseError(`line ${n + 1}: ${msg}: ${lines[n].trim()}`);
  const chainOf = (n: number, name: string | undefined, create: boolean): SavedChain => {
    if (!table) throw fail(n, 'rule outside of a "*table" section');
    if (!name) throw fail(n, 'missing chain name');
    let ch = table.chains.get(name);
    if (!ch) {
      if (!create && !BUILT_IN_CHAINS.has(name)) throw fail(n, `chain ${name} does not exist`);
      ch = { name, policy: BUILT_IN_CHAINS.has(name) ? 'ACCEPT' : null, rules: [] };
      table.chains.set(name, ch);
    }
    return ch;
  };
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].trim();
    if (line === '' || line.startsWith('#') || line === 'COMMIT') continue;
    if (line.startsWith('*')) {
      const name = line.slice(1).trim();
      table = tables.get(name) ?? { name, chains: new Map() };
      tables.set(name, table);
      continue;
    }
    if (line.startsWith(':')) {
      const [head, policy, counters] = line.slice(1).split(/\s+/);
      const ch = chainOf(n, head, true);
      ch.policy = policy && policy !== '-' ? policy : BUILT_IN_CHAINS.has(head) ? 'ACCEPT' : null;
      ch.counters = parseCounters(counters);
      continue;
    }
    let words = tokenize(line);
    let counters: Counters | undefined;
    if (words[0]?.startsWith('[')) {
      counters = parseCounters(words[0]);
      words = words.slice(1);
    } else if (words[0] === '-c' || words[0] === '--set-counters') {
      counters = { packets: Number(words[1]), bytes: Number(words[2]) };
      words = words.slice(3);
    }
    const [op, chainName, ...rest] = words;
    switch (op) {
      case '-N':
      case '--new-chain':
        chainOf(n, chainName, true);
        break;
      case '-A':
      case '--append':
        chainOf(n, chainName, false).rules.push(makeRule(chainName, rest, counters));
        break;
      case '-I':
      case '--insert': {
        const ch = chainOf(n, chainName, false);
        const hasPos = /^\d+$/.test(rest[0] ?? '');
        const pos = hasPos ? Number(rest[0]) : 1;
        if (pos < 1 || pos > ch.rules.length + 1) throw fail(n, `index ${pos} is out of range`);
        ch.rules.splice(pos - 1, 0, makeRule(chainName, hasPos ? rest.slice(1) : rest, counters));
        break;
      }
      case '-D':
      case '--delete': {
        const ch = chainOf(n, chainName, false);
        const idx =
          rest.length === 1 && /^\d+$/.test(rest[0])
            ? Number(rest[0]) - 1
            : ch.rules.findIndex((r) => r.canonical === canonicalRule(rest));
        if (idx < 0 || idx >= ch.rules.length) throw fail(n, 'no such rule to delete');
        ch.rules.splice(idx, 1);
        break;
      }
      case '-F':
      case '--flush':
        if (!table) throw fail(n, 'flush outside of a table');
        for (const ch of chainName ? [chainOf(n, chainName, false)] : table.chains.values())
          ch.rules = [];
        break;
      case '-X':
      case '--delete-chain':
        if (!table) throw fail(n, 'delete outside of a table');
        if (chainName) table.chains.delete(chainName);
        else
          for (const [name, ch] of table.chains) if (ch.policy === null) table.chains.delete(name);
        break;
      case '-P':
      case '--policy':
        chainOf(n, chainName, false).policy = rest[0] ?? 'ACCEPT';
        break;
      default:
        throw fail(n, `unknown command "${op}"`);
    }
  }
  return tables;
}

/** Parse iptables-save output (with or without -c counters). */
export function parseIptablesSave(text: string): RuleSet {
  return applyRestore(text);
}

/** Split a file holding both iptables-save and ip6tables-save output by their "# Generated by" headers. */
export function splitSaveFamilies(text: string): { v4: string; v6: string } {
  const parts = { v4: '', v6: '' };
  let family: 'v4' | 'v6' = 'v4';
  for (const line of text.split('\n')) {
    const m = /^# Generated by (ip6?)tables-save/.exec(line);
    if (m) family = m[1] === 'ip6' ? 'v6' : 'v4';
    parts[family] += `${line}\n`;
  }
  return parts;
}

/**
 * Split Istio's dry-run text (golden format) into the IPv4 and IPv6 restore inputs: command lines are dropped
 * and, since each family's tables are written in sorted order, a table name that does not sort after the
 * previous one starts the IPv6 block.
 */
export function splitDryRun(text: string): { v4: string; v6: string } {
  const out = { v4: '', v6: '' };
  let family: 'v4' | 'v6' = 'v4';
  let lastTable = '';
  for (const line of text.split('\n')) {
    if (line === 'iptables-save' || line === 'ip6tables-save' || line === '') continue;
    if (line.startsWith('*')) {
      const name = line.slice(1).trim();
      if (lastTable !== '' && name <= lastTable) family = 'v6';
      lastTable = name;
    }
    out[family] += `${line}\n`;
  }
  return out;
}

/** Write a rule set back in iptables-save format (built-in chains first, then user chains, as saved). */
export function toSaveText(rs: RuleSet): string {
  let out = '';
  for (const table of rs.values()) {
    const chains = [...table.chains.values()].sort(
      (a, b) => Number(a.policy === null) - Number(b.policy === null),
    );
    out += `*${table.name}\n`;
    for (const ch of chains)
      out += `:${ch.name} ${ch.policy ?? '-'} [${ch.counters?.packets ?? 0}:${ch.counters?.bytes ?? 0}]\n`;
    for (const ch of chains) for (const r of ch.rules) out += `${r.text}\n`;
    out += 'COMMIT\n';
  }
  return out;
}

function isEmptyDefault(ch: SavedChain): boolean {
  return ch.rules.length === 0 && ch.policy === 'ACCEPT';
}

/**
 * One canonical text for a rule set: tables and chains sorted, rules in order and in canonical form,
 * counters, comments and empty built-in chains left out. Equal texts mean equal rules.
 */
export function normalize(textOrRuleSet: string | RuleSet): string {
  const rs = typeof textOrRuleSet === 'string' ? applyRestore(textOrRuleSet) : textOrRuleSet;
  const out: string[] = [];
  for (const name of [...rs.keys()].sort()) {
    const chains = [...(rs.get(name)?.chains.values() ?? [])]
      .filter((c) => !isEmptyDefault(c))
      .sort((a, b) => a.name.localeCompare(b.name));
    if (chains.length === 0) continue;
    out.push(`*${name}`);
    for (const ch of chains) out.push(`:${ch.name} ${ch.policy ?? '-'}`);
    for (const ch of chains) for (const r of ch.rules) out.push(`-A ${ch.name} ${r.canonical}`);
    out.push('COMMIT');
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

export interface ChainDiff {
  table: string;
  chain: string;
  /** "added": only in b; "removed": only in a; "changed": in both with different rules or policy. */
  status: 'added' | 'removed' | 'changed';
  onlyInA: string[];
  onlyInB: string[];
  /** Same rules on both sides but in another order (order matters in iptables). */
  orderDiffers: boolean;
  policyA?: string | null;
  policyB?: string | null;
}

export interface RuleSetDiff {
  equal: boolean;
  chains: ChainDiff[];
}

/** Rules in a not in b (as a multiset of canonical forms), reported with a's original text. */
function missing(a: SavedRule[], b: SavedRule[]): string[] {
  const counts = new Map<string, number>();
  for (const r of b) counts.set(r.canonical, (counts.get(r.canonical) ?? 0) + 1);
  const out: string[] = [];
  for (const r of a) {
    const c = counts.get(r.canonical) ?? 0;
    if (c > 0) counts.set(r.canonical, c - 1);
    else out.push(r.text);
  }
  return out;
}

/** Compare two rule sets per table and chain, ignoring counters, comments and empty built-in chains. */
export function diffRuleSets(a: RuleSet | string, b: RuleSet | string): RuleSetDiff {
  const ra = typeof a === 'string' ? applyRestore(a) : a;
  const rb = typeof b === 'string' ? applyRestore(b) : b;
  const chains: ChainDiff[] = [];
  for (const table of [...new Set([...ra.keys(), ...rb.keys()])].sort()) {
    const ca = ra.get(table)?.chains ?? new Map<string, SavedChain>();
    const cb = rb.get(table)?.chains ?? new Map<string, SavedChain>();
    for (const name of [...new Set([...ca.keys(), ...cb.keys()])].sort()) {
      const x = ca.get(name);
      const y = cb.get(name);
      if (!y || !x) {
        const present = (x ?? y) as SavedChain;
        if (isEmptyDefault(present)) continue;
        const texts = present.rules.map((r) => r.text);
        chains.push({
          table,
          chain: name,
          status: x ? 'removed' : 'added',
          onlyInA: x ? texts : [],
          onlyInB: y ? texts : [],
          orderDiffers: false,
        });
        continue;
      }
      const onlyInA = missing(x.rules, y.rules);
      const onlyInB = missing(y.rules, x.rules);
      const orderDiffers =
        onlyInA.length === 0 &&
        onlyInB.length === 0 &&
        x.rules.some((r, i) => r.canonical !== y.rules[i].canonical);
      if (onlyInA.length || onlyInB.length || orderDiffers || x.policy !== y.policy) {
        chains.push({
          table,
          chain: name,
          status: 'changed',
          onlyInA,
          onlyInB,
          orderDiffers,
          policyA: x.policy,
          policyB: y.policy,
        });
      }
    }
  }
  return { equal: chains.length === 0, chains };
}

/** A readable report of a diff; labels name the two sides (e.g. "rules from the flags", "iptables-save"). */
export function formatDiff(diff: RuleSetDiff, labels: [string, string] = ['a', 'b']): string {
  if (diff.equal) return `No differences between ${labels[0]} and ${labels[1]}.\n`;
  const out: string[] = [`Differences (- only in ${labels[0]}, + only in ${labels[1]}):`];
  for (const c of diff.chains) {
    const where = `table ${c.table}, chain ${c.chain}`;
    if (c.status === 'added') out.push(`${where}: chain only in ${labels[1]}`);
    else if (c.status === 'removed') out.push(`${where}: chain only in ${labels[0]}`);
    else out.push(`${where}:`);
    if (c.status === 'changed' && c.policyA !== c.policyB)
      out.push(`  policy ${c.policyA ?? '-'} in ${labels[0]}, ${c.policyB ?? '-'} in ${labels[1]}`);
    for (const r of c.onlyInA) out.push(`  - ${r}`);
    for (const r of c.onlyInB) out.push(`  + ${r}`);
    if (c.orderDiffers) out.push('  same rules in a different order');
  }
  return `${out.join('\n')}\n`;
}
