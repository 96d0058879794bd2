// HTTP/1.1 message heads and chunked bodies for the fast path, strict enough to match Node's llhttp.
// A request this parser does not fully understand is left to Node's http server (FALLBACK).
import { OWNED_REQUEST_HEADERS, OWNED_RESPONSE_HEADERS } from './filter-chain';
import { PEER_ID_RECEIVED, PEER_METADATA, PEER_METADATA_ID, PEER_RECEIVED } from './header-policy';

export const NEED_MORE = 0;
export const FALLBACK = 1;
export const INVALID = 2;

/** Node's default --max-http-header-size: a longer head goes to Node, which answers it. */
export const MAX_HEAD = 16 * 1024;
// Node keeps at most 2000 header pairs (maxHeadersCount): a request with more goes to Node, a
// response's extra ones are read but not forwarded.
const MAX_REQUEST_HEADERS = 1000;
const MAX_RESPONSE_HEADERS = 2000;
const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;

// RFC 9110 token characters (header names).
const TOKEN = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~") TOKEN[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TOKEN[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TOKEN[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TOKEN[c] = 1;

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

// What the parser does with a header: DROP never crosses the proxy as sent (hop-by-hop, RFC 9110
// 7.6.1, those Envoy's codec writes itself, those the connection manager and the filters own);
// READ is read and forwarded; FIRST is forwarded once, where it first stands (an inline header of
// Envoy's map, rewritten in place). All go to the head's reader.
const DROP = 1;
const READ = 0;
const FIRST = 2;
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

/** A parsed head: kept headers as byte ranges of `buf` (name start/end, value start/end, flat). */
interface Head {
  buf: Buffer;
  /** Offset just past the blank line. */
  end: number;
  kept: number[];
  /** Byte length of the kept headers once written as `name: value\r\n`. */
  keptBytes: number;
  /** Index in `kept` of the FIRST header (`server`), -1 without one. */
  firstAt: number;
}

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

/** Value bytes llhttp accepts: HTAB, visible ASCII, SP, obs-text. */
function valueByte(c: number): boolean {
  return c === HTAB || (c >= SP && c !== 0x7f);
}

/** Content-Length as llhttp reads it: digits only, below 2^53. */
function parseLength(text: string): number {
  if (text.length === 0 || text.length > 15) return -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
  }
  return Number(text);
}

/**
 * Scans header lines from `pos` up to `stop` (the blank line). Calls `special` for names in
 * `table`; keeps the rest. Returns false on anything llhttp might read differently.
 * `response`: an upstream's head (bare LF line ends, Node's 2000-pair limit).
 */
function scanHeaders(
  h: Head,
  pos: number,
  stop: number,
  table: ReadonlyMap<string, number>,
  special: (lower: string, value: string) => boolean,
  response: boolean,
): boolean {
  const { buf } = h;
  let count = 0;
  while (pos < stop) {
    if (++count > MAX_REQUEST_HEADERS && !response) return false;
    const nameStart = pos;
    let c = buf[pos];
    while (c < 128 && TOKEN[c] === 1) c = buf[++pos];
    if (c !== 0x3a || pos === nameStart) return false;
    const nameEnd = pos++;
    while (buf[pos] === SP || buf[pos] === HTAB) pos++;
    const valueStart = pos;
    c = buf[pos];
    while (c !== CR && c !== LF) {
      if (!valueByte(c)) return false;
      c = buf[++pos];
    }
    let valueEnd = pos;
    if (c === CR) {
      if (buf[pos + 1] !== LF) return false;
      pos += 2;
    } else if (response) pos += 1; // llhttp takes bare LF line ends from servers
    else return false;
    while (valueEnd > valueStart && (buf[valueEnd - 1] === SP || buf[valueEnd - 1] === HTAB)) valueEnd--;
    const lower = buf.toString('latin1', nameStart, nameEnd).toLowerCase();
    const kind = table.get(lower);
    if (kind !== undefined) {
      if (!special(lower, buf.toString('latin1', valueStart, valueEnd))) return false;
      if (kind === DROP) continue;
      if (kind === FIRST) {
        if (h.firstAt !== -1) continue;
        h.firstAt = h.kept.length;
      }
    }
    if (count > MAX_RESPONSE_HEADERS) continue;
    h.kept.push(nameStart, nameEnd, valueStart, valueEnd);
    h.keptBytes += nameEnd - nameStart + valueEnd - valueStart + 4;
  }
  return true;
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

/**
 * Writes the kept headers of `h` as `name: value\r\n` into `out` at `at`, names lowercased as
 * Envoy's codec stores and writes them; the FIRST header's value is `first` when given (the caller
 * sized `out` for it). Returns the new offset.
 */
export function writeKept(h: Head, out: Buffer, at: number, first?: string): number {
  const { buf, kept } = h;
  let o = at;
  for (let i = 0; i < kept.length; i += 4) {
    for (let j = kept[i]; j < kept[i + 1]; j++) {
      const c = buf[j];
      out[o++] = c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
    }
    out[o++] = 0x3a;
    out[o++] = SP;
    const vs = kept[i + 2];
    const ve = kept[i + 3];
    if (i === h.firstAt && first !== undefined) o += out.write(first, o, 'latin1');
    else if (ve - vs > 64) o += buf.copy(out, o, vs, ve);
    else for (let j = vs; j < ve; j++) out[o++] = buf[j];
    out[o++] = CR;
    out[o++] = LF;
  }
  return o;
}

/** The size change of the kept headers once the FIRST header's value is `first`. */
export function firstDelta(h: Head, first: string | undefined): number {
  if (first === undefined || h.firstAt === -1) return 0;
  return first.length - (h.kept[h.firstAt + 3] - h.kept[h.firstAt + 2]);
}
