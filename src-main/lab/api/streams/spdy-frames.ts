// SPDY/3 frames as Kubernetes uses them: the byte layout, a reader that cuts frames out of a byte
// stream, and the compressed name/value header blocks.
//
// The layout is SPDY draft 3 (the "SPDY/3.1" of Kubernetes' Upgrade header is that framing without
// flow control: moby/spdystream, the Go library on both kubectl's and the kubelet's side, never
// sends WINDOW_UPDATE and ignores it, so neither do we).
import { constants as zlibConstants, createInflate, type Inflate } from 'node:zlib';
import { SPDY3_HEADER_DICTIONARY, adler32 } from './spdy-dictionary';

export const SPDY_VERSION = 3;

export const FrameType = {
  SynStream: 1,
  SynReply: 2,
  RstStream: 3,
  Settings: 4,
  Ping: 6,
  GoAway: 7,
  Headers: 8,
  WindowUpdate: 9,
} as const;

export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;

/** RST_STREAM status codes (SPDY draft 3, 2.6.3). */
export const RstStatus = {
  ProtocolError: 1,
  InvalidStream: 2,
  RefusedStream: 3,
  Cancel: 5,
  InternalError: 6,
} as const;

/** The largest payload a frame's 24-bit length can carry. */
export const MAX_FRAME_PAYLOAD = 0xffffff;

export type Frame =
  | { control: true; version: number; type: number; flags: number; payload: Buffer }
  | { control: false; streamId: number; flags: number; payload: Buffer };

const FRAME_HEADER = 8;

function frameHeader(first: number, flags: number, length: number): Buffer {
  if (length > MAX_FRAME_PAYLOAD) throw new Error(`SPDY frame payload of ${length} bytes is too large`);
  const header = Buffer.alloc(FRAME_HEADER);
  header.writeUInt32BE(first >>> 0, 0);
  header.writeUInt32BE(((flags & 0xff) << 24) | length, 4);
  return header;
}

export function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const first = 0x80000000 | (SPDY_VERSION << 16) | type;
  return Buffer.concat([frameHeader(first, flags, payload.length), payload]);
}

export function dataFrame(streamId: number, flags: number, data: Buffer): Buffer {
  return Buffer.concat([frameHeader(streamId & 0x7fffffff, flags, data.length), data]);
}

function words(...values: number[]): Buffer {
  const buf = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => buf.writeUInt32BE(v >>> 0, i * 4));
  return buf;
}

export function synStreamFrame(streamId: number, flags: number, headerBlock: Buffer): Buffer {
  // Associated-to stream 0, priority 0, slot 0: what spdystream sends for every stream.
  const fixed = Buffer.alloc(10);
  fixed.writeUInt32BE(streamId, 0);
  return controlFrame(FrameType.SynStream, flags, Buffer.concat([fixed, headerBlock]));
}

export function synReplyFrame(streamId: number, flags: number, headerBlock: Buffer): Buffer {
  return controlFrame(FrameType.SynReply, flags, Buffer.concat([words(streamId), headerBlock]));
}

export function rstStreamFrame(streamId: number, status: number): Buffer {
  return controlFrame(FrameType.RstStream, 0, words(streamId, status));
}

export function pingFrame(id: number): Buffer {
  return controlFrame(FrameType.Ping, 0, words(id));
}

export function goAwayFrame(lastGoodStreamId: number, status = 0): Buffer {
  return controlFrame(FrameType.GoAway, 0, words(lastGoodStreamId, status));
}

/** Cuts whole frames out of the bytes a connection delivers, however they were split. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private length = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** The next complete frame, or undefined until more bytes arrive. */
  next(): Frame | undefined {
    if (this.length < FRAME_HEADER) return undefined;
    const header = this.peek(FRAME_HEADER);
    const payloadLength = header.readUInt32BE(4) & 0xffffff;
    if (this.length < FRAME_HEADER + payloadLength) return undefined;
    this.take(FRAME_HEADER);
    const payload = this.take(payloadLength);
    const first = header.readUInt32BE(0);
    const flags = header[4];
    if (first & 0x80000000) {
      return { control: true, version: (first >>> 16) & 0x7fff, type: first & 0xffff, flags, payload };
    }
    return { control: false, streamId: first & 0x7fffffff, flags, payload };
  }

  private peek(n: number): Buffer {
    if (this.chunks[0].length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0].subarray(0, n);
  }

  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const out: Buffer[] = [];
    let need = n;
    while (need > 0) {
      const head = this.chunks[0];
      if (head.length <= need) {
        out.push(head);
        this.chunks.shift();
        need -= head.length;
      } else {
        out.push(head.subarray(0, need));
        this.chunks[0] = head.subarray(need);
        need = 0;
      }
    }
    this.length -= n;
    return out.length === 1 ? out[0] : Buffer.concat(out);
  }
}

/** Header names are lowercase on the wire; a name may carry several values. */
export type HeaderList = ReadonlyArray<readonly [name: string, value: string]>;

/** The uncompressed name/value block: a count, then length-prefixed names and values. */
export function encodeHeaderBlock(headers: HeaderList): Buffer {
  const grouped = new Map<string, string[]>();
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    grouped.set(key, [...(grouped.get(key) ?? []), value]);
  }
  const parts: Buffer[] = [words(grouped.size)];
  for (const [name, values] of grouped) {
    const n = Buffer.from(name, 'utf8');
    // Several values of one name travel NUL-separated in one value (SPDY draft 3, 2.6.10).
    const v = Buffer.from(values.join('\0'), 'utf8');
    parts.push(words(n.length), n, words(v.length), v);
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(block: Buffer): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  let at = 0;
  const u32 = (): number => {
    if (at + 4 > block.length) throw new Error('SPDY header block is truncated');
    const v = block.readUInt32BE(at);
    at += 4;
    return v;
  };
  const bytes = (n: number): string => {
    if (at + n > block.length) throw new Error('SPDY header block is truncated');
    const s = block.toString('utf8', at, at + n);
    at += n;
    return s;
  };
  const count = u32();
  for (let i = 0; i < count; i++) {
    const name = bytes(u32()).toLowerCase();
    const values = bytes(u32()).split('\0');
    headers.set(name, [...(headers.get(name) ?? []), ...values]);
  }
  return headers;
}

/**
 * Compresses header blocks for one direction of a session. Each block is written as zlib
 * "stored" (uncompressed) deflate blocks ended by a sync flush: a valid continuation of the session's zlib stream that
 * any inflater reads, that needs no asynchronous compressor, and that ends exactly at the frame's
 * end, which Go's framer checks. The few header blocks a session sends are tiny, so compressing
 * them would save nothing worth the machinery.
 */
const SYNC_FLUSH_MARKER = Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]);

export class HeaderBlockWriter {
  private started = false;

  compress(block: Buffer): Buffer {
    const parts: Buffer[] = [];
    if (!this.started) {
      this.started = true;
      // CMF 0x78 (deflate, 32 KiB window), FLG 0x20 (FDICT set; 0x7820 is a multiple of 31),
      // then the dictionary's Adler-32, as RFC 1950 has a stream with a preset dictionary begin.
      const header = Buffer.alloc(6);
      header[0] = 0x78;
      header[1] = 0x20;
      header.writeUInt32BE(adler32(SPDY3_HEADER_DICTIONARY), 2);
      parts.push(header);
    }
    for (let at = 0; at === 0 || at < block.length; at += 0xffff) {
      const piece = block.subarray(at, at + 0xffff);
      const stored = Buffer.alloc(5);
      stored[0] = 0x00; // BFINAL 0, BTYPE 00 (stored), padded to the byte boundary
      stored.writeUInt16LE(piece.length, 1);
      stored.writeUInt16LE(~piece.length & 0xffff, 3);
      parts.push(stored, piece);
    }
    // End with an empty stored block, as zlib's sync flush does: Go's inflater hands out a stored
    // block's bytes only once it has read the next block's header, so without it the block's last
    // bytes stay inside the peer's inflater and its framer reads past the frame.
    parts.push(SYNC_FLUSH_MARKER);
    return Buffer.concat(parts);
  }
}

/**
 * Decompresses the peer's header blocks. One zlib stream runs through all of a session's header
 * blocks (a block may refer back to earlier ones), each ending with a sync flush, so the inflater
 * lives as long as the session and each block is flushed through it in turn.
 */
export class HeaderBlockReader {
  private readonly inflate: Inflate = createInflate({ dictionary: SPDY3_HEADER_DICTIONARY });
  private output: Buffer[] = [];
  private failure: Error | undefined;
  private pending: ((err: Error) => void) | undefined;

  constructor() {
    this.inflate.on('data', (chunk: Buffer) => this.output.push(chunk));
    this.inflate.on('error', (err: Error) => {
      this.failure = new Error(`SPDY header block does not decompress: ${err.message}`);
      this.pending?.(this.failure);
    });
  }

  /** Blocks must be decompressed one after another: wait for one before passing the next. */
  decompress(compressed: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.pending = reject;
      this.inflate.write(compressed);
      this.inflate.flush(zlibConstants.Z_SYNC_FLUSH, () => {
        this.pending = undefined;
        if (this.failure) return reject(this.failure);
        const out = Buffer.concat(this.output);
        this.output = [];
        resolve(out);
      });
    });
  }

  close(): void {
    this.inflate.close();
  }
}
