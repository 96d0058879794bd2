// A head's header lines, read as llhttp reads them into byte ranges of the head and written back as Envoy's codec writes them.

export const CR = 0x0d;
export const LF = 0x0a;
export const SP = 0x20;
const HTAB = 0x09;

// Node keeps at most 2000 header pairs (maxHeadersCount): a request with more goes to Node, a
// response's extra ones are read but not forwarded.
const MAX_REQUEST_HEADERS = 1000;
const MAX_RESPONSE_HEADERS = 2000;

// RFC 9110 token characters (header names).
const TOKEN = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~") TOKEN[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TOKEN[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TOKEN[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TOKEN[c] = 1;

// What the parser does with a header: DROP never crosses the proxy as sent (hop-by-hop, RFC 9110
// 7.6.1, those Envoy's codec writes itself, those the connection manager and the filters own);
// READ is read and forwarded; FIRST is forwarded once, where it first stands (an inline header of
// Envoy's map, rewritten in place). All go to the head's reader.
export const DROP = 1;
export const READ = 0;
export const FIRST = 2;

/** A parsed head: kept headers as byte ranges of `buf` (name start/end, value start/end, flat). */
export interface Head {
  buf: Buffer;
  /** Offset just past the blank line. */
  end: number;
  kept: number[];
  /** Byte length of the kept headers once written as `name: value\r\n`. */
  keptBytes: number;
  /** Index in `kept` of the FIRST header (`server`), -1 without one. */
  firstAt: number;
}

/** Value bytes llhttp accepts: HTAB, visible ASCII, SP, obs-text. */
export function valueByte(c: number): boolean {
  return c === HTAB || (c >= SP && c !== 0x7f);
}

/** Content-Length as llhttp reads it: digits only, below 2^53. */
export function parseLength(text: string): number {
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
export function scanHeaders(
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
