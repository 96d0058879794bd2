// Chunked transfer coding (RFC 9112 7.1) for the fast path: an incremental decoder and the encoder.

const CR = 0x0d;
const LF = 0x0a;
const S_SIZE = 0;
const S_EXT = 1;
const S_SIZE_LF = 2;
const S_DATA = 3;
const S_DATA_CR = 4;
const S_DATA_LF = 5;
const S_TRAILER = 6;
const S_TRAILER_LINE = 7;
const S_TRAILER_LF = 8;
const S_END_LF = 9;
// Chunk sizes past this are refused (llhttp refuses what overflows 64 bits; Node can't hold either).
const MAX_CHUNK = 2 ** 40;

/** Decodes one chunked body across any split of its bytes; trailers are read and dropped (as Node's path does). */
export class ChunkedDecoder {
  private state = S_SIZE;
  private size = 0;
  private digits = 0;
  done = false;
  error = false;

  /**
   * Consumes `buf[pos..end)`, handing each data slice to `sink`; returns where it stopped: at
   * `end`, or just past the body once `done` (or where `error` was found).
   */
  feed(buf: Buffer, pos: number, end: number, sink: (data: Buffer) => void): number {
    while (pos < end && !this.done) {
      const c = buf[pos];
      switch (this.state) {
        case S_SIZE: {
          const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
          if (d >= 0) {
            this.size = this.size * 16 + d;
            if (++this.digits > 11 || this.size > MAX_CHUNK) return this.fail(pos);
          } else if (this.digits === 0) return this.fail(pos);
          else if (c === 0x3b) this.state = S_EXT;
          else if (c === CR) this.state = S_SIZE_LF;
          else return this.fail(pos);
          pos++;
          break;
        }
        case S_EXT:
          if (c === CR) this.state = S_SIZE_LF;
          else if (c === LF || (c < 0x20 && c !== 0x09) || c === 0x7f) return this.fail(pos);
          pos++;
          break;
        case S_SIZE_LF:
          if (c !== LF) return this.fail(pos);
          this.state = this.size === 0 ? S_TRAILER : S_DATA;
          pos++;
          break;
        case S_DATA: {
          const n = Math.min(this.size, end - pos);
          sink(buf.subarray(pos, pos + n));
          this.size -= n;
          pos += n;
          if (this.size === 0) this.state = S_DATA_CR;
          break;
        }
        case S_DATA_CR:
          if (c !== CR) return this.fail(pos);
          this.state = S_DATA_LF;
          pos++;
          break;
        case S_DATA_LF:
          if (c !== LF) return this.fail(pos);
          this.state = S_SIZE;
          this.digits = 0;
          pos++;
          break;
        case S_TRAILER:
          if (c === LF) return this.fail(pos);
          this.state = c === CR ? S_END_LF : S_TRAILER_LINE;
          pos++;
          break;
        case S_TRAILER_LINE:
          if (c === CR) this.state = S_TRAILER_LF;
          else if (c === LF) return this.fail(pos);
          pos++;
          break;
        case S_TRAILER_LF:
          if (c !== LF) return this.fail(pos);
          this.state = S_TRAILER;
          pos++;
          break;
        case S_END_LF:
          if (c !== LF) return this.fail(pos);
          this.done = true;
          pos++;
          break;
      }
    }
    return pos;
  }

  private fail(pos: number): number {
    this.error = true;
    this.done = true;
    return pos;
  }
}

/** `SIZE\r\n` before a chunk of `n` bytes, as Node writes it. */
export function chunkHeader(n: number): string {
  return `${n.toString(16)}\r\n`;
}

export const CRLF = Buffer.from('\r\n', 'latin1');
export const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1');
