// Protocol detection on undeclared ports: Envoy's http_inspector + tls_inspector, reduced.
import type { Socket } from 'node:net';

/** What Envoy's inspectors report: the HTTP inspector's ALPN, the TLS inspector's `tls`, or nothing (`tcp`). */
export type Detected = 'http/1.1' | 'http/1.0' | 'h2c' | 'tls' | 'tcp';
export type Detection = Detected | 'need-more';

// Methods llhttp (behind Envoy's http_inspector) accepts; anything else is not HTTP/1.
const METHODS = new Set([
  'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'PROPFIND',
  'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'SEARCH', 'PURGE', 'REPORT',
  'MKACTIVITY', 'CHECKOUT', 'MERGE', 'M-SEARCH', 'NOTIFY', 'SUBSCRIBE', 'UNSUBSCRIBE', 'LINK',
  'UNLINK', 'BIND', 'REBIND', 'UNBIND', 'ACL', 'MKCALENDAR', 'QUERY',
]);
const MAX_METHOD = 11;
const MAX_TARGET = 16 * 1024;
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const VERSION = Buffer.from(' HTTP/1.', 'latin1');
const MINOR = VERSION.length;

function isPrefixOfMethod(token: string): boolean {
  for (const m of METHODS) if (m.startsWith(token)) return true;
  return false;
}

/**
 * Classifies the first bytes of a connection: `METHOD SP target SP HTTP/1.1` (or `1.0`); the h2c
 * preface is h2c; a TLS handshake record is TLS; anything else is TCP. `need-more` while the
 * bytes so far are still a prefix of an HTTP request line.
 */
export function detectProtocol(buf: Buffer): Detection {
  if (buf.length === 0) return 'need-more';
  if (buf[0] === 0x16) return buf.length < 2 ? 'need-more' : buf[1] === 0x03 ? 'tls' : 'tcp';
  const h2 = Math.min(buf.length, H2_PREFACE.length);
  if (buf.subarray(0, h2).equals(H2_PREFACE.subarray(0, h2))) return h2 === H2_PREFACE.length ? 'h2c' : 'need-more';

  let i = 0;
  while (i < buf.length && buf[i] !== 0x20) {
    const c = buf[i];
    if (!((c >= 0x41 && c <= 0x5a) || c === 0x2d) || i >= MAX_METHOD) return 'tcp';
    i++;
  }
  const method = buf.toString('latin1', 0, i);
  if (i === buf.length) return isPrefixOfMethod(method) ? 'need-more' : 'tcp';
  if (!METHODS.has(method)) return 'tcp';
  const targetStart = ++i;
  while (i < buf.length && buf[i] !== 0x20) {
    if (buf[i] <= 0x20 || buf[i] === 0x7f || i - targetStart > MAX_TARGET) return 'tcp';
    i++;
  }
  if (i === targetStart && i < buf.length) return 'tcp';
  if (i === buf.length) return 'need-more';
  const rest = Math.min(buf.length - i, VERSION.length);
  if (!buf.subarray(i, i + rest).equals(VERSION.subarray(0, rest))) return 'tcp';
  if (buf.length <= i + MINOR) return 'need-more';
  const minor = buf[i + MINOR];
  return minor === 0x31 ? 'http/1.1' : minor === 0x30 ? 'http/1.0' : 'tcp';
}

export interface SniffResult {
  protocol: Detected;
  /** The bytes read while deciding; they still belong to the stream. */
  head: Buffer;
  /** Decided by the detection timeout (no or too few bytes from the client). */
  timedOut: boolean;
  /** The client closed (or errored) before a decision. */
  closed: boolean;
}

/**
 * Reads the client's first bytes until `detectProtocol` decides or `timeoutMs` passes (0: no
 * timeout, as Istio's default). Leaves the socket paused with nothing consumed but `head`.
 */
export function sniff(socket: Socket, timeoutMs: number): Promise<SniffResult> {
  return new Promise((resolve) => {
    let head: Buffer = Buffer.alloc(0);
    let timer: NodeJS.Timeout | undefined;
    const finish = (protocol: Detected, timedOut: boolean, closed: boolean): void => {
      if (timer) clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onClose);
      socket.off('close', onClose);
      socket.pause();
      resolve({ protocol, head, timedOut, closed });
    };
    const onData = (chunk: Buffer): void => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const d = detectProtocol(head);
      if (d !== 'need-more') finish(d, false, false);
    };
    const onClose = (): void => finish('tcp', false, true);
    if (timeoutMs > 0) timer = setTimeout(() => finish('tcp', true, false), timeoutMs);
    socket.on('data', onData);
    socket.once('end', onClose);
    socket.once('close', onClose);
  });
}
