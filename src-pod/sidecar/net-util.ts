// Address and socket helpers on the per-connection path: `ip:port`, CIDR membership, closing.
import { isIP, type Socket } from 'node:net';

/** Strips `::ffff:` from IPv4-mapped addresses so IPv4 peers read (and match) as IPv4. */
export function plainIp(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** `10.0.0.1:80` / `[fd00::1]:80`, as Envoy prints addresses. */
export function formatAddress(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function v4ToBigInt(ip: string): bigint {
  return ip.split('.').reduce((acc, part) => (acc << 8n) + BigInt(Number(part)), 0n);
}

function v6ToBigInt(ip: string): bigint {
  let text = ip;
  // A trailing dotted quad (::ffff:1.2.3.4) becomes two hex groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v = v4ToBigInt(dotted[1]);
    text = `${text.slice(0, dotted.index)}${(v >> 16n).toString(16)}:${(v & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) + BigInt(parseInt(g, 16)), 0n);
}

/** True when `ip` is inside `cidr` (`10.0.0.0/8`, `fd00::/8`, or a bare IP = exact match). */
export function ipInCidr(ip: string, cidr: string): boolean {
  const [net, bitsText] = cidr.split('/');
  const family = isIP(net);
  if (family === 0 || isIP(ip) !== family) return false;
  const width = family === 4 ? 32 : 128;
  const bits = bitsText === undefined ? width : Number(bitsText);
  const toInt = family === 4 ? v4ToBigInt : v6ToBigInt;
  const shift = BigInt(width - bits);
  return toInt(ip) >> shift === toInt(net) >> shift;
}

/** Loopback (127/8, ::1): a connection to the proxy's own port there is a loop, not a destination. */
export function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1';
}

/**
 * Closes a downstream Envoy never read from: the kernel still holds the client's bytes, so the
 * client sees a reset; with nothing sent, an orderly close.
 */
export function closeUnread(socket: Socket, head?: Buffer): void {
  if ((head && head.length > 0) || socket.bytesRead > 0) socket.resetAndDestroy();
  else socket.destroy();
}
