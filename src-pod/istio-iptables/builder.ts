// Rule builder that mirrors Istio's IptablesRuleBuilder: the same rule order, chain creation and restore text.

export interface Rule {
  chain: string;
  table: string;
  /** The command as Istio writes it: ["-A", chain, ...] or ["-I", chain, "N", ...]. */
  params: string[];
}

/** Placeholder replaced by the IPv4 or IPv6 value in a versioned rule. */
export const IP_VERSION_SPECIFIC = 'PLACEHOLDER_IP_VERSION_SPECIFIC';

/** constants.BuiltInChainsAndTargetsMap: never created with -N. */
const BUILT_IN = new Set([
  'INPUT',
  'OUTPUT',
  'FORWARD',
  'PREROUTING',
  'POSTROUTING',
  'ACCEPT',
  'RETURN',
  'DROP',
]);

export class RuleBuilder {
  readonly v4: Rule[] = [];
  readonly v6: Rule[] = [];

  constructor(private readonly ipv6: boolean) {}

  appendV4(chain: string, table: string, ...params: string[]): this {
    this.v4.push({ chain, table, params: ['-A', chain, ...params] });
    return this;
  }

  appendV6(chain: string, table: string, ...params: string[]): this {
    // Like Istio, IPv6 rules are only collected when IPv6 is enabled.
    if (this.ipv6) this.v6.push({ chain, table, params: ['-A', chain, ...params] });
    return this;
  }

  append(chain: string, table: string, ...params: string[]): this {
    return this.appendV4(chain, table, ...params).appendV6(chain, table, ...params);
  }

  insertV4(chain: string, table: string, position: number, ...params: string[]): this {
    this.v4.push({ chain, table, params: ['-I', chain, String(position), ...params] });
    return this;
  }

  insertV6(chain: string, table: string, position: number, ...params: string[]): this {
    if (this.ipv6)
      this.v6.push({ chain, table, params: ['-I', chain, String(position), ...params] });
    return this;
  }

  insert(chain: string, table: string, position: number, ...params: string[]): this {
    return this.insertV4(chain, table, position, ...params).insertV6(
      chain,
      table,
      position,
      ...params,
    );
  }

  appendVersioned(
    ipv4: string,
    ipv6: string,
    chain: string,
    table: string,
    ...params: string[]
  ): this {
    const sub = (value: string) => params.map((p) => (p === IP_VERSION_SPECIFIC ? value : p));
    return this.appendV4(chain, table, ...sub(ipv4)).appendV6(chain, table, ...sub(ipv6));
  }
}

/**
 * buildRestore: per table, "-N" for every non-built-in chain that has rules (in first-use order), then for
 * every non-built-in jump target, then the rules in order; tables sorted by name, empty tables left out.
 */
export function buildRestore(rules: Rule[]): string {
  const tables = new Map<string, string[]>([
    ['filter', []],
    ['nat', []],
    ['mangle', []],
  ]);
  const lines = (table: string) => {
    let l = tables.get(table);
    if (!l) tables.set(table, (l = []));
    return l;
  };
  const seen = new Set<string>();
  const declare = (chain: string, table: string) => {
    const key = `${chain}:${table}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (!BUILT_IN.has(chain)) lines(table).push(`-N ${chain}`);
  };
  for (const r of rules) declare(r.chain, r.table);
  for (const r of rules) {
    if (r.params.length >= 2 && r.params[r.params.length - 2] === '-j')
      declare(r.params[r.params.length - 1], r.table);
  }
  for (const r of rules) lines(r.table).push(r.params.join(' '));
  let out = '';
  for (const table of [...tables.keys()].sort()) {
    const l = tables.get(table) ?? [];
    if (l.length === 0) continue;
    out += `* ${table}\n${l.join('\n')}\nCOMMIT\n`;
  }
  return out;
}

/** CheckRules: the same rules as "-C" commands (used to tell whether the rules are already in place). */
export function checkCommands(rules: Rule[]): string[][] {
  return rules.map((r) => ['-t', r.table, ...toCommand(r.params, '-C')]);
}

function toCommand(params: string[], op: string): string[] {
  if (params[0] === '-I') return [op, params[1], ...params.slice(3)];
  return [op, ...params.slice(1)];
}

/**
 * BuildCleanup: delete (in reverse order) every rule except the non-jump rules inside ISTIO_* chains,
 * then flush and delete each non-built-in chain.
 */
export function cleanupCommands(rules: Rule[]): string[][] {
  const reversed = [...rules].reverse();
  const out: string[][] = [];
  for (const r of reversed) {
    const jumpIdx = r.params.indexOf('-j');
    const jumpsToIstio = jumpIdx >= 0 && (r.params[jumpIdx + 1] ?? '').startsWith('ISTIO_');
    if (r.chain.startsWith('ISTIO_') && !jumpsToIstio) continue;
    out.push(['-t', r.table, ...toCommand(r.params, '-D')]);
  }
  const seen = new Set<string>();
  for (const r of reversed) {
    const key = `${r.chain}:${r.table}`;
    if (seen.has(key) || BUILT_IN.has(r.chain)) continue;
    seen.add(key);
    out.push(['-t', r.table, '-F', r.chain], ['-t', r.table, '-X', r.chain]);
  }
  return out;
}
