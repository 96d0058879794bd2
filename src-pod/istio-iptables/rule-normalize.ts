// Canonical form of one iptables rule, so a rule as Istio writes it equals the same rule as iptables-save prints it.
import { parseAddr, parsePrefix, maskedPrefixText } from './net';

/** Split a rule line into words the way iptables-restore does: double quotes group, backslash escapes. */
export function tokenize(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '\\' && i + 1 < line.length && (line[i + 1] === '"' || line[i + 1] === '\\'))
        cur += line[++i];
      else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') {
      quoted = true;
      inWord = true;
    } else if (ch === ' ' || ch === '\t') {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

/** Quote a word for an iptables command line or restore file when it needs it. */
export function quoteWord(w: string): string {
  return /^[^\s"\\]+$/.test(w) ? w : `"${w.replace(/(["\\])/g, '\\$1')}"`;
}

const BASIC: Record<string, string> = {
  '-s': 's',
  '--source': 's',
  '--src': 's',
  '-d': 'd',
  '--destination': 'd',
  '--dst': 'd',
  '-i': 'i',
  '--in-interface': 'i',
  '-o': 'o',
  '--out-interface': 'o',
  '-p': 'p',
  '--protocol': 'p',
  '-f': 'f',
  '--fragment': 'f',
};
const BASIC_ORDER = ['s', 'd', 'i', 'o', 'p', 'f'];
/** Options that load the protocol's own match implicitly ("-p tcp --dport 80" is "-p tcp -m tcp --dport 80"). */
const PROTO_OPTIONS = new Set([
  '--dport',
  '--sport',
  '--destination-port',
  '--source-port',
  '--tcp-flags',
  '--syn',
  '--tcp-option',
  '--icmp-type',
  '--icmpv6-type',
]);
const OPTION_ALIASES: Record<string, string> = {
  '--destination-port': '--dport',
  '--source-port': '--sport',
  '--destination-ports': '--dports',
  '--source-ports': '--sports',
  '--to-port': '--to-ports',
};

function num(v: string): string {
  if (/^0x[0-9a-f]+$/i.test(v)) return String(parseInt(v, 16));
  if (/^\d+$/.test(v)) return String(Number(v));
  return v;
}

/** "1337", "0x539", "0x539/0xffffffff" -> "1337" or "1337/mask" (an all-ones mask is the default). */
function markValue(v: string, keepFullMask: boolean): string {
  const [value, mask] = v.split('/');
  const m = mask === undefined ? '4294967295' : num(mask);
  if (m === '4294967295' && !keepFullMask) return num(value);
  return `${num(value)}/${m}`;
}

function addrValue(v: string): string {
  const p = parsePrefix(v);
  if ('prefix' in p) return maskedPrefixText(p.prefix);
  const a = parseAddr(v);
  if (a) return maskedPrefixText({ is4: a.is4, bytes: a.bytes, bits: a.is4 ? 32 : 128, text: '' });
  return v;
}

interface Opt {
  neg: boolean;
  name: string;
  values: string[];
}

function normalizeMatchOpt(match: string, o: Opt): Opt {
  const name = OPTION_ALIASES[o.name] ?? o.name;
  let values = o.values;
  if ((match === 'mark' || match === 'connmark') && name === '--mark')
    values = [markValue(values[0] ?? '', false)];
  if (match === 'conntrack' && (name === '--ctstate' || name === '--state'))
    values = [(values[0] ?? '').split(',').sort().join(',')];
  if (match === 'state' && name === '--state')
    values = [(values[0] ?? '').split(',').sort().join(',')];
  if ((name === '--dport' || name === '--sport') && values[0])
    values = [values[0].split(':').map(num).join(':')];
  return { neg: o.neg, name, values };
}

function normalizeTarget(target: string, opts: Opt[]): string[] {
  let list = opts.map((o) => ({ ...o, name: OPTION_ALIASES[o.name] ?? o.name }));
  if (target === 'MARK') {
    list = list.map((o) => (o.name === '--set-mark' ? { ...o, name: '--set-xmark' } : o));
    list = list.map((o) =>
      o.name === '--set-xmark' ? { ...o, values: [markValue(o.values[0] ?? '', true)] } : o,
    );
  }
  if (target === 'TPROXY') {
    list = list.filter(
      (o) => !(o.name === '--on-ip' && (o.values[0] === '0.0.0.0' || o.values[0] === '::')),
    );
    list = list.map((o) =>
      o.name === '--tproxy-mark' ? { ...o, values: [markValue(o.values[0] ?? '', true)] } : o,
    );
  }
  if (target === 'CONNMARK') {
    list = list.filter(
      (o) =>
        !(
          (o.name === '--nfmask' || o.name === '--ctmask' || o.name === '--mask') &&
          num(o.values[0] ?? '') === '4294967295'
        ),
    );
    list = list.map((o) =>
      o.name === '--set-mark' || o.name === '--set-xmark'
        ? { ...o, values: [markValue(o.values[0] ?? '', true)] }
        : o,
    );
  }
  return list
    .map((o) => `${o.neg ? '! ' : ''}${o.name}${o.values.length ? ' ' + o.values.join(' ') : ''}`)
    .sort();
}

export interface ParsedRule {
  basic: Record<string, { neg: boolean; value: string }>;
  matches: { name: string; opts: Opt[] }[];
  target?: string;
  goto?: string;
  targetOpts: Opt[];
}

/** Parse the words of a rule specification (what follows "-A CHAIN"). */
export function parseRuleSpec(words: string[]): ParsedRule {
  const rule: ParsedRule = { basic: {}, matches: [], targetOpts: [] };
  let neg = false;
  let current: { name: string; opts: Opt[] } | null = null;
  let inTarget = false;
  const valuesFrom = (i: number) => {
    const values: string[] = [];
    while (i < words.length && !words[i].startsWith('-') && words[i] !== '!')
      values.push(words[i++]);
    return values;
  };
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === '!') {
      neg = true;
      continue;
    }
    if (!inTarget && BASIC[w]) {
      const key = BASIC[w];
      const value = key === 'f' ? '' : (words[++i] ?? '');
      rule.basic[key] = {
        neg,
        value:
          key === 's' || key === 'd' ? addrValue(value) : key === 'p' ? value.toLowerCase() : value,
      };
      neg = false;
      current = null;
      continue;
    }
    if (!inTarget && (w === '-m' || w === '--match')) {
      current = { name: words[++i] ?? '', opts: [] };
      rule.matches.push(current);
      neg = false;
      continue;
    }
    if (w === '-j' || w === '--jump' || w === '-g' || w === '--goto') {
      if (w === '-g' || w === '--goto') rule.goto = words[++i];
      else rule.target = words[++i];
      inTarget = true;
      neg = false;
      continue;
    }
    if (w.startsWith('-')) {
      const values = valuesFrom(i + 1);
      const opt: Opt = { neg, name: w, values };
      i += values.length;
      neg = false;
      if (inTarget) {
        rule.targetOpts.push(opt);
        continue;
      }
      const proto = rule.basic.p?.value;
      if ((!current || current.name !== proto) && PROTO_OPTIONS.has(w) && proto) {
        // The implicit protocol match: reuse one declared with -m, else create it.
        current = rule.matches.find((m) => m.name === proto) ?? null;
        if (!current) {
          current = { name: proto, opts: [] };
          rule.matches.push(current);
        }
      }
      if (!current) {
        current = { name: '?', opts: [] };
        rule.matches.push(current);
      }
      current.opts.push(opt);
    }
  }
  return rule;
}

/** A canonical text for a rule spec: equal for equal rules however they were written. */
export function canonicalRule(words: string[]): string {
  const r = parseRuleSpec(words);
  const parts: string[] = [];
  for (const key of BASIC_ORDER) {
    const b = r.basic[key];
    if (b) parts.push(`${b.neg ? '! ' : ''}-${key}${b.value ? ' ' + b.value : ''}`);
  }
  const matches = r.matches
    // A bare "-m tcp" with no option (iptables-save may print one) matches nothing more than "-p tcp".
    .filter((m) => !(m.opts.length === 0 && m.name === r.basic.p?.value))
    .map((m) => {
      const opts = m.opts.map((o) => normalizeMatchOpt(m.name, o));
      const text = opts
        .map(
          (o) => `${o.neg ? '! ' : ''}${o.name}${o.values.length ? ' ' + o.values.join(' ') : ''}`,
        )
        .sort();
      return `-m ${m.name}${text.length ? ' ' + text.join(' ') : ''}`;
    })
    .sort();
  parts.push(...matches);
  if (r.target) parts.push(`-j ${r.target}`, ...normalizeTarget(r.target, r.targetOpts));
  if (r.goto) parts.push(`-g ${r.goto}`);
  return parts.join(' ');
}
