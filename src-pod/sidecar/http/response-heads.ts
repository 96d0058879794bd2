// The fast path's downstream response heads, byte for byte what Node's ServerResponse wrote.
import { STATUS_CODES } from 'node:http';
import { writeKept, type ResponseHead } from './http1-parser';

/** Node's server in connection-manager.ts: an hour of idle keep-alive, announced as `Keep-Alive: timeout=3600`. */
export const KEEP_ALIVE_MS = 3_600_000;
const KEEP_ALIVE = `Connection: keep-alive\r\nKeep-Alive: timeout=${KEEP_ALIVE_MS / 1000}\r\n`;
const CLOSE = 'Connection: close\r\n';
const CHUNKED = 'Transfer-Encoding: chunked\r\n';

/**
 * An upstream response's head as the router forwards it: status line with the upstream's reason,
 * its headers minus hop-by-hop ones (as parsed), then Envoy's, then Node's connection and framing.
 */
export function proxiedResponseHead(h: ResponseHead, serviceTimeMs: number, keepAlive: boolean, chunked: boolean, server: string): Buffer {
  const pre = `HTTP/1.1 ${h.status} `;
  const post = `x-envoy-upstream-service-time: ${serviceTimeMs}\r\nserver: ${server}\r\n${keepAlive ? KEEP_ALIVE : CLOSE}${chunked ? CHUNKED : ''}\r\n`;
  const out = Buffer.allocUnsafe(pre.length + (h.reasonEnd - h.reasonStart) + 2 + h.keptBytes + post.length);
  let o = out.write(pre, 0, 'latin1');
  o += h.buf.copy(out, o, h.reasonStart, h.reasonEnd);
  out[o++] = 0x0d;
  out[o++] = 0x0a;
  o = writeKept(h, out, o);
  out.write(post, o, 'latin1');
  return out;
}

/** An Envoy local reply (text/plain, the HCM's server name), as node-exchange.ts's localReply writes it through Node. */
export function localReplyMessage(code: number, body: string, keepAlive: boolean, server: string): Buffer {
  // Node writes the head as latin1 and a string body as UTF-8.
  const text = Buffer.from(body, 'utf8');
  const head =
    `HTTP/1.1 ${code} ${STATUS_CODES[code] ?? 'unknown'}\r\ncontent-length: ${text.length}\r\n` +
    `${text.length > 0 ? 'content-type: text/plain\r\n' : ''}date: ${new Date().toUTCString()}\r\nserver: ${server}\r\n` +
    `${keepAlive ? KEEP_ALIVE : CLOSE}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), text]);
}
