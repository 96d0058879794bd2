// Rule-change events from `xtables-monitor --event`, and the index that gives a traced rule its number.
//
// Recorded quirks (test/fixtures/capture/rule-events.txt): `iptables -I` is printed as `-A` (the
// position is not in the event), `-F CHAIN` as one `-D` per rule, changes to our own inet table
// as empty `EVENT:` lines, and a `NEWGEN: GENID=… PID=… NAME=…` line closes each transaction.
// So the live view applies a change at once for display, and re-reads `iptables-save` on the
// generation line for the exact order.
import { canonicalRule, tokenize } from '../../../src-pod/istio-iptables/rule-normalize';
import { parseIptablesSave, type RuleSet } from '../../../src-pod/istio-iptables/save-parser';
import { TRACE_TABLE } from './trace-table';

export type RuleChangeOp =
  | 'rule-add'
  | 'rule-delete'
  | 'rule-insert'
  | 'chain-add'
  | 'chain-delete'
  | 'chain-flush'
  | 'policy'
  | 'table-add'
  | 'table-delete'
  | 'nft-other';

export interface RuleChange {
  kind: 'change';
  op: RuleChangeOp;
  family: 'ipv4' | 'ipv6' | 'inet' | 'other';
  table: string;
  chain: string | null;
  /** The words after `-A CHAIN` (rules only). */
  spec: string[];
  /** `-A ISTIO_OUTPUT -d 10.96.0.99/32 -p tcp -j RETURN` as printed (without `-4 -t nat`). */
  text: string;
  /** The change is in the lab's own trace table, not in anything the user's rules. */
  ownTable: boolean;
}

export interface RuleGeneration {
  kind: 'generation';
  genId: number;
  pid: number | null;
  /** Program that committed (`iptables`, `ip6tables`, `nft`, `iptables-restore`). */
  program: string;
  /** The changes of this transaction, in order. */
  changes: RuleChange[];
}

export type RuleMonitorEvent = RuleChange | RuleGeneration;

const OPS: Record<string, RuleChangeOp> = {
  '-A': 'rule-add',
  '-D': 'rule-delete',
  '-I': 'rule-insert',
  '-N': 'chain-add',
  '-X': 'chain-delete',
  '-F': 'chain-flush',
  '-P': 'policy',
};

/** One `EVENT:` payload; null for the empty lines of rules iptables cannot print. */
export function parseRuleEventText(payload: string): RuleChange | null {
  const text = payload.trim();
  if (text === '') return null;
  const tm = /^nft: (NEW|DEL) table: table (\S+) (\S+)/.exec(text);
  if (tm) {
    const family =
      tm[3] === 'ip' ? 'ipv4' : tm[3] === 'ip6' ? 'ipv6' : tm[3] === 'inet' ? 'inet' : 'other';
    return {
      kind: 'change',
      op: tm[1] === 'NEW' ? 'table-add' : 'table-delete',
      family,
      table: tm[2],
      chain: null,
      spec: [],
      text,
      ownTable: tm[2] === TRACE_TABLE,
    };
  }
  const nft = /^# nft: (\S+) (\S+) (\S+)/.exec(text);
  if (nft) {
    const family =
      nft[1] === 'ip' ? 'ipv4' : nft[1] === 'ip6' ? 'ipv6' : nft[1] === 'inet' ? 'inet' : 'other';
    return {
      kind: 'change',
      op: 'nft-other',
      family,
      table: nft[2],
      chain: nft[3],
      spec: [],
      text,
      ownTable: nft[2] === TRACE_TABLE,
    };
  }
  const words = tokenize(text);
  let family: RuleChange['family'] = 'other';
  let table = 'filter';
  let i = 0;
  for (; i < words.length; i++) {
    if (words[i] === '-4') family = 'ipv4';
    else if (words[i] === '-6') family = 'ipv6';
    else if (words[i] === '-t') table = words[++i] ?? table;
    else break;
  }
  const op = OPS[words[i] ?? ''];
  if (!op)
    return {
      kind: 'change',
      op: 'nft-other',
      family,
      table,
      chain: null,
      spec: [],
      text,
      ownTable: false,
    };
  const chain = words[i + 1] ?? null;
  const spec = words.slice(i + 2);
  return {
    kind: 'change',
    op,
    family,
    table,
    chain,
    spec,
    text: words.slice(i).join(' '),
    ownTable: false,
  };
}

/** Streaming parser of `xtables-monitor --event` output. */
export class RulesMonitorParser {
  private buffer = '';
  private batch: RuleChange[] = [];

  push(chunk: string): RuleMonitorEvent[] {
    this.buffer += chunk;
    const out: RuleMonitorEvent[] = [];
    let nl = this.buffer.indexOf('\n');
    while (nl >= 0) {
      const ev = this.line(this.buffer.slice(0, nl));
      if (ev) out.push(ev);
      this.buffer = this.buffer.slice(nl + 1);
      nl = this.buffer.indexOf('\n');
    }
    return out;
  }

  line(raw: string): RuleMonitorEvent | null {
    const t = raw.trim();
    if (t.startsWith('EVENT:')) {
      const change = parseRuleEventText(t.slice(6));
      // Bounded: a transaction that never ends (monitor restarted mid-way) cannot pile up.
      if (change && this.batch.length < 10_000) this.batch.push(change);
      return change;
    }
    const gen = /^NEWGEN: GENID=(\d+)(?: PID=(\d+))?(?: NAME=(\S+))?/.exec(t);
    if (gen) {
      const changes = this.batch;
      this.batch = [];
      return {
        kind: 'generation',
        genId: Number(gen[1]),
        pid: gen[2] ? Number(gen[2]) : null,
        program: gen[3] ?? '',
        changes,
      };
    }
    return null;
  }
}

/** Whether a generation changed rules iptables-save shows (and so the rule index must be re-read). */
export function changesIptables(gen: RuleGeneration): boolean {
  return gen.changes.some((c) => !c.ownTable && (c.family === 'ipv4' || c.family === 'ipv6'));
}

export interface IndexedRule {
  table: string;
  chain: string;
  /** 1-based position in the chain, as `iptables -L --line-numbers` / `-D CHAIN N` use. */
  number: number;
  text: string;
}

/**
 * Traced rule text → its number in the chain, from an `iptables-save` snapshot. Identical rules
 * in one chain resolve to the first (iptables-nft's trace names the rule only by text and handle).
 */
export class RuleIndex {
  private readonly byCanonical = new Map<string, IndexedRule>();
  private readonly cache = new Map<string, IndexedRule | null>();

  constructor(readonly rules: RuleSet) {
    for (const table of rules.values())
      for (const chain of table.chains.values())
        chain.rules.forEach((r, i) => {
          const key = `${table.name}\u0000${chain.name}\u0000${r.canonical}`;
          if (!this.byCanonical.has(key))
            this.byCanonical.set(key, {
              table: table.name,
              chain: chain.name,
              number: i + 1,
              text: r.text,
            });
        });
  }

  static fromSave(text: string): RuleIndex {
    return new RuleIndex(parseIptablesSave(text));
  }

  /** `ruleText` as the trace prints it: `-A CHAIN …` (a leading `-4 -t nat` is accepted too). */
  lookup(table: string, chain: string, ruleText: string): IndexedRule | null {
    const cacheKey = `${table}\u0000${chain}\u0000${ruleText}`;
    const hit = this.cache.get(cacheKey);
    if (hit !== undefined) return hit;
    let words = tokenize(ruleText);
    while (words[0] === '-4' || words[0] === '-6' || words[0] === '-t')
      words = words.slice(words[0] === '-t' ? 2 : 1);
    if (words[0] === '-A' || words[0] === '--append') words = words.slice(2);
    let found: IndexedRule | null;
    try {
      found = this.byCanonical.get(`${table}\u0000${chain}\u0000${canonicalRule(words)}`) ?? null;
    } catch {
      found = null;
    }
    // The cache sees one entry per distinct rule text, bounded by the rule set's size in practice.
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(cacheKey, found);
    return found;
  }
}
