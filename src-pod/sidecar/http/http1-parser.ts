// HTTP/1.1 request and response heads for the fast path, strict enough to match Node's llhttp.
// A request this parser does not fully understand is left to Node's http server (FALLBACK).
import { OWNED_REQUEST_HEADERS, OWNED_RESPONSE_HEADERS } from './filter-chain';
import { PEER_ID_RECEIVED, PEER_METADATA, PEER_METADATA_ID, PEER_RECEIVED } from './header-policy';
import { CR, DROP, FIRST, LF, READ, SP, parseLength, scanHeaders, valueByte, type Head } from './http1-headers';

export const NEED_MORE = 0;
export const FALLBACK = 1;
export const INVALID = 2;

/** Node's default --max-http-header-size: a longer head goes to Node, which answers it. */
export const MAX_HEAD = 16 * 1024;

// Methods llhttp knows (as in sniff.ts); CONNECT tunnels, so it always goes to Node.
const METHODS = new Set([
  'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'TRACE', 'PATCH', 'PROPFIND', 'PROPPATCH',
  'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'SEARCH', 'PURGE', 'REPORT', 'MKACTIVITY', 'CHECKOUT',
  'MERGE', 'M-SEARCH', 'NOTIFY', 'SUBSCRIBE', 'UNSUBSCRIBE', 'LINK', 'UNLINK', 'BIND', 'REBIND',
  'UNBIND', 'ACL', 'MKCALENDAR', 'QUERY',
]);
// Envoy's HeaderUtility::requestShouldHaveNoBody: the codec adds no `content-length: 0` to these.
const BODILESS = new Set(['GET', 'HEAD', 'DELETE', 'TRACE', 'CONNECT']);
const HTTP11 = Buffer.from(' HTTP/1.1\r\n', 'latin1');
const STATUS_PREFIX = Buffer.from('HTTP/1.', 'latin1');

// The headers a request's and a response's reader look at, and what the proxy does with each (DROP,
// READ, FIRST: see http1-headers.ts); the others are read and forwarded.
const REQUEST_HEADERS = new Map<string, number>([
  ['connection', DROP], ['keep-alive', DROP], ['proxy-connection', DROP], ['te', DROP], ['upgrade', DROP],
  ['trailer', DROP], ['http2-settings', DROP], ['x-forwarded-proto', READ],
  // Host is Envoy's :authority, written first; transfer-encoding the codec's, written last.
  ['host', DROP], ['user-agent', READ], ['x-request-id', READ], ['x-forwarded-for', READ],
  ['x-envoy-original-path', READ], ['content-length', READ], ['transfer-encoding', DROP], ['expect', READ],
]);
for (const name of OWNED_REQUEST_HEADERS) REQUEST_HEADERS.set(name, DROP);
// The codec frames the body itself, so transfer-encoding is dropped too; `server` is the
// connection manager's to rewrite where it stands (server_header_transformation OVERWRITE).
const RESPONSE_HEADERS = new Map<string, number>([
  ['connection', DROP], ['keep-alive', DROP], ['proxy-connection', DROP], ['te', DROP], ['upgrade', DROP],
  ['trailer', DROP], ['http2-settings', DROP], ['server', FIRST], ['date', READ],
  ['transfer-encoding', DROP], ['content-length', READ],
]);
for (const name of OWNED_RESPONSE_HEADERS) RESPONSE_HEADERS.set(name, DROP);

export interface RequestHead extends Head {
  method: string;
  /** The request target, raw (`/path?query`). */
  target: string;
  /** Request line bytes (`METHOD target`), without ` HTTP/1.1\r\n`. */
  lineEnd: number;
  host: string | undefined;
  userAgent: string | undefined;
  /** Present at all (even empty): the router then adds none. */
  requestId: string | undefined;
  forwardedFor: string | undefined;
  hasForwardedProto: boolean;
  /** Istio's peer headers the client sent (PEER_ID_RECEIVED | PEER_RECEIVED). */
  peerReceived: number;
  originalPath: string | undefined;
  /** -1: no content-length. */
  contentLength: number;
  chunked: boolean;
  close: boolean;
  /** No content-length or transfer-encoding on a method that may have a body: Envoy's codec sends `content-length: 0`. */
  zeroLength: boolean;
}

export interface ResponseHead extends Head {
  status: number;
  /** Reason phrase range. */
  reasonStart: number;
  reasonEnd: number;
  contentLength: number;
  chunked: boolean;
  hasDate: boolean;
  /** The upstream will close after this response (or HTTP/1.0 without keep-alive). */
  close: boolean;
}

/**
 * The request head at the start of `buf`: NEED_MORE, FALLBACK (Node's server should take this
 * request: HTTP/1.0, CONNECT, Upgrade, Expect, unusual framing or anything malformed), or the head.
 */
export function parseRequestHead(buf: Buffer): RequestHead | typeof NEED_MORE | typeof FALLBACK {
  const blank = buf.indexOf('\r\n\r\n');
  if (blank === -1 || blank + 4 > MAX_HEAD) return buf.length >= MAX_HEAD ? FALLBACK : NEED_MORE;
  let pos = 0;
  let c = buf[0];
  while ((c >= 0x41 && c <= 0x5a) || c === 0x2d) c = buf[++pos];
  if (c !== SP) return FALLBACK;
  const method = buf.toString('latin1', 0, pos);
  if (!METHODS.has(method)) return FALLBACK;
  const targetStart = ++pos;
  c = buf[pos];
  while (c > SP && c < 0x7f) c = buf[++pos];
  if (c !== SP || pos === targetStart) return FALLBACK;
  const lineEnd = pos;
  for (let i = 0; i < HTTP11.length; i++) if (buf[pos + i] !== HTTP11[i]) return FALLBACK;
  const h: RequestHead = {
    buf,
    end: blank + 4,
    kept: [],
    keptBytes: 0,
    firstAt: -1,
    method,
    target: buf.toString('latin1', targetStart, lineEnd),
    lineEnd,
    host: undefined,
    userAgent: undefined,
    requestId: undefined,
    forwardedFor: undefined,
    hasForwardedProto: false,
    peerReceived: 0,
    originalPath: undefined,
    contentLength: -1,
    chunked: false,
    close: false,
    zeroLength: false,
  };
  let te: string | undefined;
  const ok = scanHeaders(h, lineEnd + HTTP11.length, blank + 2, REQUEST_HEADERS, (lower, value) => {
    switch (lower) {
      case 'connection': {
        const v = value.toLowerCase();
        if (v === 'close') h.close = true;
        else if (v !== 'keep-alive') return false;
        return true;
      }
      case 'upgrade':
        return false;
      case 'x-forwarded-proto':
        h.hasForwardedProto = true;
        return true;
      case PEER_METADATA_ID:
        h.peerReceived |= PEER_ID_RECEIVED;
        return true;
      case PEER_METADATA:
        h.peerReceived |= PEER_RECEIVED;
        return true;
      case 'expect':
        return false;
      case 'host':
        if (h.host !== undefined) return false;
        h.host = value;
        return true;
      case 'user-agent':
        if (h.userAgent !== undefined) return false;
        h.userAgent = value;
        return true;
      case 'x-request-id':
        if (h.requestId !== undefined) return false;
        h.requestId = value;
        return true;
      case 'x-forwarded-for':
        if (h.forwardedFor !== undefined) return false;
        h.forwardedFor = value;
        return true;
      case 'x-envoy-original-path':
        if (h.originalPath !== undefined) return false;
        h.originalPath = value;
        return true;
      case 'content-length':
        if (h.contentLength !== -1) return false;
        h.contentLength = parseLength(value);
        return h.contentLength !== -1;
      case 'transfer-encoding':
        if (te !== undefined) return false;
        te = value;
        return value.toLowerCase() === 'chunked';
      default:
        return true;
    }
  }, false);
  // No (or an empty) Host: Node 20 answers 400 (requireHostHeader), Node 18 does not; let Node decide.
  if (!ok || !h.host) return FALLBACK;
  if (te !== undefined) {
    if (h.contentLength !== -1) return FALLBACK;
    h.chunked = true;
  } else if (h.contentLength === -1) h.zeroLength = !BODILESS.has(method);
  return h;
}

/**
 * An upstream response head at the start of `buf`: NEED_MORE, INVALID (Node's client would fail
 * the request with a parse error), or the head. `status` 1xx heads come back like any other.
 */
export function parseResponseHead(buf: Buffer): ResponseHead | typeof NEED_MORE | typeof INVALID {
  // A reply that does not open with `HTTP/1.` fails at once, as llhttp (and Envoy's codec) fail
  // it, rather than waiting for a blank line a greeting server never sends.
  const n = buf.length < 7 ? buf.length : 7;
  for (let i = 0; i < n; i++) if (buf[i] !== STATUS_PREFIX[i]) return INVALID;
  // The blank line: CRLF, or a bare LF (llhttp takes those from servers).
  const crlf = buf.indexOf('\n\r\n');
  const lf = buf.indexOf('\n\n');
  // Node's client fails a head past --max-http-header-size (HPE_HEADER_OVERFLOW).
  if (crlf === -1 && lf === -1) return buf.length > MAX_HEAD ? INVALID : NEED_MORE;
  const bareLf = lf !== -1 && (crlf === -1 || lf < crlf);
  const end = bareLf ? lf + 2 : crlf + 3;
  if (end > MAX_HEAD) return INVALID;
  // `HTTP/1.x NNN[ reason]`
  if (buf.toString('latin1', 0, 7) !== 'HTTP/1.' || (buf[7] !== 0x31 && buf[7] !== 0x30) || buf[8] !== SP) return INVALID;
  const http10 = buf[7] === 0x30;
  let status = 0;
  for (let i = 9; i < 12; i++) {
    const d = buf[i] - 0x30;
    if (d < 0 || d > 9) return INVALID;
    status = status * 10 + d;
  }
  let pos = 12;
  let reasonStart = 12;
  if (buf[pos] === SP) reasonStart = ++pos;
  else if (buf[pos] !== CR && buf[pos] !== LF) return INVALID;
  while (buf[pos] !== CR && buf[pos] !== LF) {
    if (!valueByte(buf[pos])) return INVALID;
    pos++;
  }
  const reasonEnd = pos;
  if (buf[pos] === CR) {
    if (buf[pos + 1] !== LF) return INVALID;
    pos += 2;
  } else pos += 1;
  const h: ResponseHead = {
    buf,
    end,
    kept: [],
    keptBytes: 0,
    firstAt: -1,
    status,
    reasonStart,
    reasonEnd,
    contentLength: -1,
    chunked: false,
    hasDate: false,
    close: http10,
  };
  let te: string | undefined;
  const ok = scanHeaders(h, pos, end - (bareLf ? 1 : 2), RESPONSE_HEADERS, (lower, value) => {
    switch (lower) {
      case 'connection': {
        const tokens = value.toLowerCase().split(',');
        for (const t of tokens) {
          const tok = t.trim();
          if (tok === 'close') h.close = true;
          else if (tok === 'keep-alive' && http10) h.close = false;
        }
        return true;
      }
      case 'transfer-encoding':
        te = te === undefined ? value : `${te}, ${value}`;
        return true;
      case 'keep-alive': {
        // Node's Agent keeps no socket whose server announces it closes within a second.
        const hint = /^timeout=(\d+)/.exec(value);
        if (hint && Number.parseInt(hint[1], 10) * 1000 - 1000 <= 0) h.close = true;
        return true;
      }
      case 'content-length': {
        if (h.contentLength !== -1) return false;
        h.contentLength = parseLength(value);
        return h.contentLength !== -1;
      }
      case 'date':
        h.hasDate = true;
        return true;
      default:
        return true;
    }
  }, true);
  if (!ok) return INVALID;
  if (te !== undefined) {
    if (h.contentLength !== -1) return INVALID;
    // Chunked only when it is the last coding; anything else is read until the upstream closes.
    h.chunked = /(?:^|,)\s*chunked\s*$/i.test(te);
    if (!h.chunked) h.close = true;
  }
  return h;
}

