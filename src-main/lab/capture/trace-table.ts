// The tap's nftables trace table: marks new connections for per-packet tracing without touching Istio's tables.

/** Our own table; `inet` so one table covers IPv4 and IPv6, and iptables-nft never lists it. */
export const TRACE_TABLE = 'sidecar_lab_trace';

/**
 * Before raw (-300) and conntrack (-200): the mark must be set before the first table whose
 * verdicts we want to see, and nat sees only a connection's first packet.
 */
export const TRACE_PRIORITY = -350;

export interface TraceTableOptions {
  /** Trace TCP SYNs without ACK (a connection's first packet; the only one nat evaluates). Default true. */
  tcpSyn?: boolean;
  /** Trace UDP to port 53 (DNS, which Istio's DNS capture may redirect). Default true. */
  dnsUdp?: boolean;
  /** Further nft match expressions, one traced rule each (e.g. `udp dport 5353`). */
  extra?: string[];
}

function matches(opts: TraceTableOptions): string[] {
  const out: string[] = [];
  if (opts.tcpSyn ?? true) out.push('tcp flags & (syn | ack) == syn');
  if (opts.dnsUdp ?? true) out.push('udp dport 53');
  for (const m of opts.extra ?? []) {
    // One line of an nft script per match: a newline or brace would break out of the chain.
    if (/[\n\r{};]/.test(m)) throw new Error(`trace match must be a single nft expression: ${m}`);
    out.push(m.trim());
  }
  return out;
}

/**
 * `nft -f -` input that (re)creates the trace table. The leading add+delete makes it idempotent:
 * a table left by an earlier tap is replaced instead of doubling its rules.
 */
export function traceTableScript(opts: TraceTableOptions = {}): string {
  const rules = matches(opts).map((m) => `    ${m} meta nftrace set 1`);
  const chain = (name: string, hook: string): string[] => [
    `  chain ${name} {`,
    `    type filter hook ${hook} priority ${TRACE_PRIORITY}; policy accept;`,
    ...rules,
    '  }',
  ];
  return [
    `add table inet ${TRACE_TABLE}`,
    `delete table inet ${TRACE_TABLE}`,
    `table inet ${TRACE_TABLE} {`,
    ...chain('prerouting', 'prerouting'),
    ...chain('output', 'output'),
    '}',
    '',
  ].join('\n');
}

/** `nft -f -` input that removes the trace table; succeeds when it is already gone. */
export function removeTraceTableScript(): string {
  return `add table inet ${TRACE_TABLE}\ndelete table inet ${TRACE_TABLE}\n`;
}

/** The commands the tap runs (argv form, for docker exec). Scripts go to `nft -f -` on stdin. */
export const TAP_COMMANDS = {
  /** Install: feed traceTableScript() on stdin. */
  install: ['nft', '-f', '-'],
  /** Remove: feed removeTraceTableScript() on stdin. */
  remove: ['nft', '-f', '-'],
  /**
   * Per-packet trace, line-buffered: without stdbuf, xtables-monitor's stdout to a pipe is
   * block-buffered and events arrive seconds late or not at all (seen while recording fixtures).
   */
  trace: ['stdbuf', '-oL', 'xtables-monitor', '--trace'],
  /** Rule add/delete events (see rules-monitor.ts). */
  rules: ['stdbuf', '-oL', 'xtables-monitor', '--event'],
  /** Counter snapshots (see counters.ts). */
  counters: ['iptables-save', '-c'],
  countersV6: ['ip6tables-save', '-c'],
} as const;
