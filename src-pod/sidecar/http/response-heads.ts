// The fast path's downstream response heads, byte for byte as Envoy's HTTP/1 codec writes them.
import { STATUS_CODES } from 'node:http';
import { firstDelta, writeKept } from './http1-headers';
import type { ResponseHead } from './http1-parser';
import { httpDate } from './header-policy';
import { headerLines } from './filter-chain';

/** Node's server in connection-manager.ts: an hour of idle keep-alive (Envoy's HCM idle timeout). */
export const KEEP_ALIVE_MS = 3_600_000;
// Envoy's HCM adds `connection: close` to the last response of a connection; a kept-alive
// HTTP/1.1 response says nothing of the connection. The codec appends its framing last.
const CLOSE = 'connection: close\r\n';
const CHUNKED = 'transfer-encoding: chunked\r\n';

/** Envoy's CodeUtility::toString: the reason phrase is the proxy's, never the upstream's. */
export function reasonPhrase(code: number): string {
  return STATUS_CODES[code] ?? 'Unknown';
}

/**
 * An upstream response's head as Envoy forwards it: its status line, the upstream's headers
 * (lowercased, hop-by-hop and owned ones dropped, `server` rewritten in place), then `appended`
 * (filter-chain.ts responseHeaderPairs), `connection: close` when the connection ends, framing.
 */
export function proxiedResponseHead(h: ResponseHead, appended: readonly string[], keepAlive: boolean, chunked: boolean, server: string): Buffer {
  const pre = `HTTP/1.1 ${h.status} ${reasonPhrase(h.status)}\r\n`;
  const post = `${headerLines(appended)}${keepAlive ? '' : CLOSE}${chunked ? CHUNKED : ''}\r\n`;
  const out = Buffer.allocUnsafe(pre.length + h.keptBytes + firstDelta(h, server) + post.length);
  let o = out.write(pre, 0, 'latin1');
  o = writeKept(h, out, o, server);
  out.write(post, o, 'latin1');
  return out;
}

/**
 * An Envoy local reply (sendLocalReply): content-length and content-type when there is a body,
 * then the connection manager's date and server; a bodiless one gets the codec's
 * `content-length: 0` last.
 */
export function localReplyMessage(code: number, body: string, keepAlive: boolean, server: string): Buffer {
  const text = Buffer.from(body, 'utf8');
  const framing = text.length > 0 ? `content-length: ${text.length}\r\ncontent-type: text/plain\r\n` : '';
  const head =
    `HTTP/1.1 ${code} ${reasonPhrase(code)}\r\n${framing}date: ${httpDate()}\r\nserver: ${server}\r\n` +
    `${keepAlive ? '' : CLOSE}${text.length > 0 ? '' : 'content-length: 0\r\n'}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), text]);
}
