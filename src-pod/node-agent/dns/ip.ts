// IP address text <-> bytes and reverse-lookup names, for the DNS wire format and PTR records.
import { formatIpv6Bytes } from '../../shared/ipv6';
import { isIPv4, isIPv6 } from 'node:net';

/** `10.0.0.1` → 4 bytes; throws on anything that is not a dotted-quad IPv4 address. */
export function ipv4ToBytes(address: string): Buffer {
  if (!isIPv4(address)) throw new TypeError(`not an IPv4 address: ${address}`);
  return Buffer.from(address.split('.').map(Number));
}

export function bytesToIpv4(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 4)).join('.');
}

/** Any IPv6 text form (`::`, embedded IPv4, zone-free) → 16 bytes. */
export function ipv6ToBytes(address: string): Buffer {
  if (!isIPv6(address) || address.includes('%')) {
    throw new TypeError(`not an IPv6 address: ${address}`);
  }
  let text = address;
  const out = Buffer.alloc(16);
  // A trailing dotted quad (::ffff:1.2.3.4) stands for the last two groups.
  const lastColon = text.lastIndexOf(':');
  let tail: Buffer | null = null;
  if (text.slice(lastColon + 1).includes('.')) {
    tail = ipv4ToBytes(text.slice(lastColon + 1));
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [head, rest] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const groups =
    rest === undefined
      ? headGroups
      : [
          ...headGroups,
          ...new Array<string>(8 - headGroups.length - restGroups.length).fill('0'),
          ...restGroups,
        ];
  groups.forEach((group, i) => out.writeUInt16BE(parseInt(group, 16), i * 2));
  if (tail) tail.copy(out, 12);
  return out;
}

/** 16 bytes → RFC 5952 text: lower case, the longest run of two or more zero groups as `::`. */
export function bytesToIpv6(bytes: Uint8Array): string {
  return formatIpv6Bytes(bytes);
}

/** The name a PTR query for `address` asks about: `4.3.2.1.in-addr.arpa` or nibbles in ip6.arpa. */
export function reverseName(address: string): string {
  if (isIPv4(address)) return `${address.split('.').reverse().join('.')}.in-addr.arpa`;
  const nibbles: string[] = [];
  for (const byte of ipv6ToBytes(address)) {
    nibbles.push((byte >> 4).toString(16), (byte & 0xf).toString(16));
  }
  return `${nibbles.reverse().join('.')}.ip6.arpa`;
}
