// Streaming parser of `xtables-monitor --trace` (and `nft monitor trace`) output into typed trace events.
//
// The tap runs `xtables-monitor --trace`: its TRACE lines carry the rule in iptables syntax
// (`-4 -t nat -A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN`), the same text iptables-save
// prints, so a rule resolves to its number in the chain and to what the user sees in the terminal.
// `nft monitor trace` prints the nft translation (`skuid 1337 counter … return`), which matches
// nothing the user typed; it is parsed too (same event shape, ruleNumber left null) as a fallback
// for a tap without xtables-monitor. Quirks seen in the recordings (test/fixtures/capture):
// xtables-monitor prints a RETURN verdict as its raw code `0xfffffffb`, prints no timestamps,
// no PROTO for UDP, and repeats the PACKET line each time the packet enters another table.

export type TraceFamily = 'inet' | 'ipv4' | 'ipv6' | 'arp' | 'bridge' | 'netdev' | 'unknown';

export interface PacketFields {
  in: string | null;
  out: string | null;
  src: string;
  dst: string;
  sport: number | null;
  dport: number | null;
  proto: 'tcp' | 'udp' | 'icmp' | 'icmpv6' | 'other';
  syn: boolean;
  ack: boolean;
  /** TCP flags as printed (SYN, ACK, FIN, RST, PSH, URG). */
  flags: string[];
  uid: number | null;
  gid: number | null;
  mark: number | null;
  len: number | null;
  /** IP id, which survives the loopback hop (the trace id does not). */
  ipId: number | null;
  /** Packet came back in through lo (the trace after a REDIRECT). */
  loopback: boolean;
}

export type VerdictKind =
  | 'ACCEPT'
  | 'DROP'
  | 'RETURN'
  | 'CONTINUE'
  | 'JUMP'
  | 'GOTO'
  | 'QUEUE'
  | 'STOLEN'
  | 'REPEAT'
  | 'UNKNOWN';

export interface TraceEvent {
  /** Kernel trace id (hex); one per skb, changes when a packet loops back through lo. */
  id: string;
  family: TraceFamily;
  table: string;
  chain: string;
  /** `rule`: a rule matched; `policy`: the base chain's policy decided; `return`: fell off a user chain. */
  type: 'rule' | 'policy' | 'return';
  handle: number | null;
  verdict: VerdictKind;
  /** Jump/goto target chain. */
  target: string | null;
  /** `JUMP:ISTIO_REDIRECT`, `ACCEPT`, `RETURN`, `policy:ACCEPT`. */
  verdictText: string;
  /** xtables: `-A CHAIN …` (without `-4 -t nat`); nft: the nft rule text. */
  ruleText: string | null;
  /** Port of a REDIRECT/TPROXY target in the rule, the interception point. */
  redirectPort: number | null;
  packet: PacketFields;
  source: 'xtables-monitor' | 'nft-monitor';
}

const FAMILY_BY_NFPROTO: Record<string, TraceFamily> = {
  '1': 'inet',
  '2': 'ipv4',
  '3': 'arp',
  '5': 'netdev',
  '7': 'bridge',
  '10': 'ipv6',
};
const FAMILY_BY_NAME: Record<string, TraceFamily> = {
  inet: 'inet',
  ip: 'ipv4',
  ip6: 'ipv6',
  arp: 'arp',
  bridge: 'bridge',
  netdev: 'netdev',
};
// Negative nft verdict codes as xtables-monitor prints them when it has no name for them.
const NUMERIC_VERDICTS: Record<string, VerdictKind> = {
  '0xffffffff': 'CONTINUE',
  '0xfffffffe': 'CONTINUE', // NFT_BREAK
  '0xfffffffd': 'JUMP',
  '0xfffffffc': 'GOTO',
  '0xfffffffb': 'RETURN',
};
const TCP_FLAGS = new Set(['SYN', 'ACK', 'FIN', 'RST', 'PSH', 'URG', 'ECE', 'CWR']);

function emptyPacket(): PacketFields {
  return {
    in: null,
    out: null,
    src: '',
    dst: '',
    sport: null,
    dport: null,
    proto: 'other',
    syn: false,
    ack: false,
    flags: [],
    uid: null,
    gid: null,
    mark: null,
    len: null,
    ipId: null,
    loopback: false,
  };
}

const num = (s: string | undefined): number | null => {
  if (s === undefined || s === '') return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
};

function verdictOf(word: string): VerdictKind {
  const w = word.toUpperCase();
  if (NUMERIC_VERDICTS[word.toLowerCase()]) return NUMERIC_VERDICTS[word.toLowerCase()];
  switch (w) {
    case 'ACCEPT':
    case 'DROP':
    case 'RETURN':
    case 'CONTINUE':
    case 'JUMP':
    case 'GOTO':
    case 'QUEUE':
    case 'STOLEN':
    case 'REPEAT':
      return w;
    default:
      return 'UNKNOWN';
  }
}

function redirectPortOf(rule: string | null): number | null {
  if (!rule) return null;
  const m =
    /--to-ports? (\d+)/.exec(rule) ??
    /--on-port (\d+)/.exec(rule) ??
    /redirect to :(\d+)/.exec(rule) ??
    /tproxy to :(\d+)/.exec(rule);
  return m ? Number(m[1]) : null;
}

/** `PACKET: 2 414f3413 OUT=v0 SRC=… DPORT=80 SYN` fields. */
export function parseXtablesPacket(words: string[]): PacketFields {
  const p = emptyPacket();
  let protoSeen = false;
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq < 0) {
      if (TCP_FLAGS.has(w)) p.flags.push(w);
      else if (w === 'LOOPBACK') p.loopback = true;
      continue;
    }
    const key = w.slice(0, eq);
    const value = w.slice(eq + 1);
    switch (key) {
      case 'IN':
        p.in = value;
        break;
      case 'OUT':
        p.out = value;
        break;
      case 'SRC':
        p.src = value;
        break;
      case 'DST':
        p.dst = value;
        break;
      case 'SPORT':
        p.sport = num(value);
        break;
      case 'DPORT':
        p.dport = num(value);
        break;
      case 'LEN':
        p.len = num(value);
        break;
      case 'ID':
        p.ipId = num(value);
        break;
      case 'MARK':
        p.mark = num(value);
        break;
      case 'UID':
        p.uid = num(value);
        break;
      case 'GID':
        p.gid = num(value);
        break;
      case 'PROTO': {
        protoSeen = true;
        const v = value.toLowerCase();
        p.proto =
          v === '6' || v === 'tcp'
            ? 'tcp'
            : v === '17' || v === 'udp'
              ? 'udp'
              : v === '1' || v === 'icmp'
                ? 'icmp'
                : v === '58'
                  ? 'icmpv6'
                  : 'other';
        break;
      }
      default:
        break;
    }
  }
  // xtables-monitor prints ports for TCP and UDP but PROTO only for other protocols; a TCP
  // segment always carries at least one flag, a UDP datagram none.
  if (!protoSeen && p.sport !== null) p.proto = p.flags.length > 0 ? 'tcp' : 'udp';
  p.syn = p.flags.includes('SYN');
  p.ack = p.flags.includes('ACK');
  return p;
}

/** `oif "v0" ip saddr 10.244.0.7 … tcp sport 44056 tcp dport 80 tcp flags == syn` fields. */
export function parseNftPacket(text: string): PacketFields {
  const p = emptyPacket();
  const get = (re: RegExp): string | undefined => re.exec(text)?.[1];
  p.in = get(/\biif "([^"]+)"/) ?? null;
  p.out = get(/\boif "([^"]+)"/) ?? null;
  p.src = get(/\bip6? saddr (\S+)/) ?? '';
  p.dst = get(/\bip6? daddr (\S+)/) ?? '';
  const l4 = get(/\b(tcp|udp) sport \d+/);
  if (l4 === 'tcp' || l4 === 'udp') p.proto = l4;
  else if (/\bicmp type\b/.test(text)) p.proto = 'icmp';
  else if (/\bicmpv6 type\b/.test(text)) p.proto = 'icmpv6';
  p.sport = num(get(/\b(?:tcp|udp) sport (\d+)/));
  p.dport = num(get(/\b(?:tcp|udp) dport (\d+)/));
  p.len = num(get(/\bip length (\d+)/) ?? get(/\bip6 length (\d+)/));
  p.ipId = num(get(/\bip id (\d+)/));
  p.mark = num(get(/\bmeta mark (0x[0-9a-f]+|\d+)/));
  p.uid = num(get(/\bmeta skuid (\d+)/) ?? get(/\bskuid (\d+)/));
  p.gid = num(get(/\bmeta skgid (\d+)/) ?? get(/\bskgid (\d+)/));
  const flags = get(/\btcp flags == (\S+)/) ?? get(/\btcp flags (\S+)/);
  if (flags)
    p.flags = flags
      .replace(/[()]/g, '')
      .split(/[|,]/)
      .map((f) => f.trim().toUpperCase())
      .filter((f) => TCP_FLAGS.has(f));
  p.syn = p.flags.includes('SYN');
  p.ack = p.flags.includes('ACK');
  p.loopback = p.in === 'lo';
  return p;
}

/** Incremental parser: feed chunks or lines, get events; remembers each trace id's last PACKET line. */
export class TraceParser {
  private buffer = '';
  private readonly packets = new Map<string, PacketFields>();

  /** Trace ids whose PACKET line is kept; the kernel interleaves few packets at once. */
  constructor(private readonly maxPackets = 4096) {}

  /** Feeds raw output (any chunking); returns the events of the complete lines in it. */
  push(chunk: string): TraceEvent[] {
    const lines = (this.buffer + chunk).split('\n');
    this.buffer = lines.pop() ?? '';
    const out: TraceEvent[] = [];
    for (const l of lines) {
      const ev = this.line(l);
      if (ev) out.push(ev);
    }
    return out;
  }

  /** Parses what is left without a trailing newline (end of stream). */
  flush(): TraceEvent[] {
    const rest = this.buffer;
    this.buffer = '';
    const ev = rest.trim() ? this.line(rest) : null;
    return ev ? [ev] : [];
  }

  /** One line of either format; null for PACKET lines and anything else that is not a verdict. */
  line(raw: string): TraceEvent | null {
    const line = raw.replace(/\r$/, '');
    const t = line.trimStart();
    if (t.startsWith('PACKET:')) {
      const words = t.split(/\s+/).filter(Boolean);
      this.remember(words[2] ?? '', parseXtablesPacket(words.slice(3)));
      return null;
    }
    if (t.startsWith('TRACE:')) return this.xtablesTrace(t);
    if (t.startsWith('trace id ')) return this.nftTrace(t);
    return null;
  }

  private remember(id: string, p: PacketFields): void {
    this.packets.delete(id);
    this.packets.set(id, p);
    if (this.packets.size > this.maxPackets) {
      const oldest = this.packets.keys().next().value;
      if (oldest !== undefined) this.packets.delete(oldest);
    }
  }

  private xtablesTrace(t: string): TraceEvent | null {
    // TRACE: <nfproto> <id> <table>:<chain>:<type>[:<handle>]:<verdict>[:<target>]  <rule text>
    const m = /^TRACE:\s+(\d+)\s+(\S+)\s+(\S+)\s*(.*)$/.exec(t);
    if (!m) return null;
    const [, proto, id, head, rest] = m;
    const parts = head.split(':');
    if (parts.length < 4) return null;
    const [table, chain, kind] = parts;
    let handle: number | null = null;
    let tail: string[];
    if (kind === 'rule') {
      handle = num(parts[3]);
      tail = parts.slice(4);
    } else tail = parts.slice(3);
    const verdict = verdictOf(tail[0] ?? '');
    const target = (verdict === 'JUMP' || verdict === 'GOTO') && tail[1] ? tail[1] : null;
    const ruleText = rest.trim() ? rest.trim().replace(/^-[46]\s+(?:-t\s+\S+\s+)?/, '') : null;
    return {
      id,
      family: FAMILY_BY_NFPROTO[proto] ?? 'unknown',
      table,
      chain,
      type: kind === 'policy' ? 'policy' : kind === 'return' ? 'return' : 'rule',
      handle,
      verdict,
      target,
      verdictText:
        kind === 'policy' ? `policy:${verdict}` : target ? `${verdict}:${target}` : verdict,
      ruleText,
      redirectPort: verdict === 'ACCEPT' ? redirectPortOf(ruleText) : null,
      packet: this.packets.get(id) ?? emptyPacket(),
      source: 'xtables-monitor',
    };
  }

  private nftTrace(t: string): TraceEvent | null {
    // trace id <id> <family> <table> <chain> (packet: …|rule … (verdict x [target])|policy x|unknown rule handle n (verdict …))
    const m = /^trace id (\S+) (\S+) (\S+) (\S+) (.*)$/.exec(t);
    if (!m) return null;
    const [, id, fam, table, chain, rest] = m;
    if (rest.startsWith('packet:')) {
      this.remember(id, parseNftPacket(rest.slice(7)));
      return null;
    }
    let type: TraceEvent['type'];
    let verdictWords: string[];
    let ruleText: string | null = null;
    let handle: number | null = null;
    const pm = /^policy (\S+)/.exec(rest);
    if (pm) {
      type = 'policy';
      verdictWords = [pm[1]];
    } else {
      const vm = /\(verdict ([^)]*)\)\s*$/.exec(rest);
      if (!vm) return null;
      verdictWords = vm[1].trim().split(/\s+/);
      const body = rest.slice(0, vm.index).trim();
      const hm = /(?:# handle|rule handle) (\d+)/.exec(body);
      handle = hm ? Number(hm[1]) : null;
      if (body.startsWith('rule '))
        ruleText =
          body
            .slice(5)
            .replace(/\s*# handle \d+$/, '')
            .trim() || null;
      type = verdictWords[0] === 'continue' && /^return\b/.test(body) ? 'return' : 'rule';
    }
    const verdict = verdictOf(verdictWords[0] ?? '');
    const target =
      (verdict === 'JUMP' || verdict === 'GOTO') && verdictWords[1] ? verdictWords[1] : null;
    return {
      id,
      family: FAMILY_BY_NAME[fam] ?? 'unknown',
      table,
      chain,
      type,
      handle,
      verdict,
      target,
      verdictText:
        type === 'policy' ? `policy:${verdict}` : target ? `${verdict}:${target}` : verdict,
      ruleText,
      redirectPort: verdict === 'ACCEPT' ? redirectPortOf(ruleText) : null,
      packet: this.packets.get(id) ?? emptyPacket(),
      source: 'nft-monitor',
    };
  }
}

/** All events of a complete recording. */
export function parseTraceText(text: string): TraceEvent[] {
  const p = new TraceParser();
  return [...p.push(text), ...p.flush()];
}
