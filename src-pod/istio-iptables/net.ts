// Address, prefix and port parsing that mirrors Go's net/netip, which istio-iptables relies on.
import { formatIpv6Bytes } from '../shared/ipv6';

export interface Prefix {
  /** true for dotted-quad IPv4; an IPv4-mapped IPv6 address is IPv6, as in netip. */
  is4: boolean;
  bytes: number[];
  bits: number;
  /** netip.Prefix.String(): the address is not masked, IPv6 is in canonical form. */
  text: string;
}

export function parseIPv4(s: string): number[] | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const out: number[] = [];
  for (const p of parts) {
    // netip rejects leading zeros because they are ambiguous (octal in some parsers).
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p.startsWith('0'))) return null;
    const n = Number(p);
    if (n > 255) return null;
    out.push(n);
  }
  return out;
}

export function parseIPv6(s: string): number[] | null {
  if (s.includes('%') || s.length === 0) return null;
  let text = s;
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (lastColon >= 0 && text.slice(lastColon + 1).includes('.')) {
    const v4 = parseIPv4(text.slice(lastColon + 1));
    if (!v4) return null;
    tail = [(v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]];
    // "::ffff:1.2.3.4" -> "::ffff" + tail; "::1.2.3.4" -> "::" + tail.
    text = text.slice(0, lastColon + 1);
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const doubleAt = text.indexOf('::');
  if (doubleAt >= 0 && text.indexOf('::', doubleAt + 1) >= 0) return null;
  const parseGroups = (part: string): number[] | null => {
    if (part === '') return [];
    const groups = part.split(':');
    const out: number[] = [];
    for (const g of groups) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  let groups: number[];
  if (doubleAt >= 0) {
    const head = parseGroups(text.slice(0, doubleAt));
    const rest = parseGroups(text.slice(doubleAt + 2));
    if (!head || !rest) return null;
    const missing = 8 - head.length - rest.length - tail.length;
    if (missing < 1) return null;
    groups = [...head, ...new Array<number>(missing).fill(0), ...rest, ...tail];
  } else {
    const all = parseGroups(text);
    if (!all) return null;
    groups = [...all, ...tail];
    if (groups.length !== 8) return null;
  }
  const bytes: number[] = [];
  for (const g of groups) bytes.push(g >> 8, g & 0xff);
  return bytes;
}

function isV4Mapped(bytes: number[]): boolean {
  return bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
}

/** netip.Addr.String() for an IPv6 address (RFC 5952, with the ::ffff:a.b.c.d special case). */
export function formatIPv6(bytes: number[]): string {
  if (isV4Mapped(bytes)) return `::ffff:${bytes.slice(12).join('.')}`;
  return formatIpv6Bytes(bytes);
}

export function parseAddr(s: string): { is4: boolean; bytes: number[] } | null {
  const v4 = parseIPv4(s);
  if (v4) return { is4: true, bytes: v4 };
  const v6 = s.includes(':') ? parseIPv6(s) : null;
  return v6 ? { is4: false, bytes: v6 } : null;
}

export function formatAddr(a: { is4: boolean; bytes: number[] }): string {
  return a.is4 ? a.bytes.join('.') : formatIPv6(a.bytes);
}

/** netip.ParsePrefix: returns null and a reason when the text is not a prefix. */
export function parsePrefix(s: string): { prefix: Prefix } | { error: string } {
  const slash = s.lastIndexOf('/');
  if (slash < 0) return { error: 'no "/" (a CIDR needs a prefix length, e.g. 10.0.0.0/8)' };
  const addrText = s.slice(0, slash);
  const bitsText = s.slice(slash + 1);
  const addr = parseAddr(addrText);
  if (!addr) return { error: `"${addrText}" is not an IP address` };
  const max = addr.is4 ? 32 : 128;
  if (!/^\d+$/.test(bitsText) || (bitsText.length > 1 && bitsText.startsWith('0'))) {
    return { error: `bad prefix length "${bitsText}"` };
  }
  const bits = Number(bitsText);
  if (bits > max) return { error: `prefix length ${bits} is larger than ${max}` };
  return {
    prefix: { is4: addr.is4, bytes: addr.bytes, bits, text: `${formatAddr(addr)}/${bits}` },
  };
}

/** netip.Addr.IsLoopback, which unmaps IPv4-mapped IPv6 addresses first. */
export function isLoopback(p: { is4: boolean; bytes: number[] }): boolean {
  if (p.is4) return p.bytes[0] === 127;
  if (isV4Mapped(p.bytes)) return p.bytes[12] === 127;
  return p.bytes.slice(0, 15).every((b) => b === 0) && p.bytes[15] === 1;
}

/** Zero the host bits, as the kernel does when it stores a rule (used to compare with a save). */
export function maskedPrefixText(p: Prefix): string {
  const bytes = p.bytes.slice();
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, p.bits - i * 8));
    bytes[i] &= keep === 0 ? 0 : (0xff << (8 - keep)) & 0xff;
  }
  return `${formatAddr({ is4: p.is4, bytes })}/${p.bits}`;
}

/** config.Split: comma separated, empty items dropped, no trimming (Istio does not trim either). */
export function splitList(s: string): string[] {
  if (s === '') return [];
  return s.split(',').filter((x) => x !== '');
}

/** Why a port (or an iptables port range "a:b") is not valid, or null when it is. */
export function portProblem(s: string, allowRange: boolean): string | null {
  const single = (p: string) => /^\d{1,5}$/.test(p) && Number(p) <= 65535;
  if (/^\d+$/.test(s)) return single(s) ? null : 'port must be 0-65535';
  if (allowRange && /^\d+:\d+$/.test(s)) {
    const [a, b] = s.split(':');
    if (!single(a) || !single(b)) return 'port must be 0-65535';
    return Number(a) <= Number(b) ? null : `port range "${s}" is reversed`;
  }
  return allowRange ? 'not a port (0-65535) or a port range (a:b)' : 'not a port (0-65535)';
}

/** A uid, gid or user/group name as iptables' owner match accepts them. */
export function ownerProblem(s: string): string | null {
  if (/^\d+$/.test(s)) return Number(s) <= 4294967294 ? null : 'id must be 0-4294967294';
  if (/^[A-Za-z_][A-Za-z0-9_.-]*\$?$/.test(s) && s.length <= 32) return null;
  return 'not a numeric id or a user/group name';
}
