// SPDY/3 framing: frame layout, frames cut from arbitrarily split bytes, and header blocks that
// survive the session-long zlib stream with the SPDY/3 dictionary.
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SPDY3_HEADER_DICTIONARY, adler32 } from '../../../src-main/lab/api/streams/spdy-dictionary';
import {
  FLAG_FIN,
  FrameReader,
  FrameType,
  HeaderBlockReader,
  HeaderBlockWriter,
  dataFrame,
  decodeHeaderBlock,
  encodeHeaderBlock,
  pingFrame,
  rstStreamFrame,
  type Frame,
} from '../../../src-main/lab/api/streams/spdy-frames';

describe('SPDY/3 header dictionary', () => {
  it('is the draft-3 dictionary: its length and the Adler-32 kubectl accepted', () => {
    // kubectl 1.20 inflates our header blocks in test/integration/kube-streams.test.ts; these are
    // the length and checksum of the dictionary it accepted.
    expect(SPDY3_HEADER_DICTIONARY.length).toBe(1423);
    expect(adler32(SPDY3_HEADER_DICTIONARY).toString(16)).toBe('e3c6a7c2');
    expect(SPDY3_HEADER_DICTIONARY.subarray(0, 11)).toEqual(Buffer.from('\0\0\0\x07options', 'latin1'));
    expect(SPDY3_HEADER_DICTIONARY.toString('latin1').endsWith(',*,enq=0.')).toBe(true);
  });

  it('computes Adler-32 as RFC 1950 does', () => {
    expect(adler32(Buffer.from('Wikipedia'))).toBe(0x11e60398);
  });
});

describe('frames', () => {
  it('lays out control and data frames as SPDY/3 does', () => {
    expect(rstStreamFrame(5, 5).toString('hex')).toBe('80030003000000080000000500000005');
    expect(pingFrame(2).toString('hex')).toBe('800300060000000400000002');
    expect(dataFrame(3, FLAG_FIN, Buffer.from('hi')).toString('hex')).toBe('00000003010000026869');
  });

  it('cuts frames out of bytes split at every possible point', () => {
    const bytes = Buffer.concat([dataFrame(1, 0, Buffer.from('abc')), pingFrame(7), dataFrame(3, FLAG_FIN, Buffer.alloc(0))]);
    for (let step = 1; step <= bytes.length; step++) {
      const reader = new FrameReader();
      const frames: Frame[] = [];
      for (let at = 0; at < bytes.length; at += step) {
        reader.push(bytes.subarray(at, at + step));
        for (let f = reader.next(); f; f = reader.next()) frames.push(f);
      }
      expect(frames).toHaveLength(3);
      expect(frames[0]).toMatchObject({ control: false, streamId: 1, flags: 0 });
      expect(frames[0].payload.toString()).toBe('abc');
      expect(frames[1]).toMatchObject({ control: true, version: 3, type: FrameType.Ping });
      expect(frames[2]).toMatchObject({ control: false, streamId: 3, flags: FLAG_FIN });
    }
  });
});

describe('header blocks', () => {
  it('encodes names lowercased and repeated names as NUL-separated values', () => {
    const block = encodeHeaderBlock([
      ['streamType', 'data'],
      ['Port', '80'],
      ['port', '81'],
    ]);
    expect(block.readUInt32BE(0)).toBe(2);
    const decoded = decodeHeaderBlock(block);
    expect(decoded.get('streamtype')).toEqual(['data']);
    expect(decoded.get('port')).toEqual(['80', '81']);
  });

  it('refuses a truncated block', () => {
    const block = encodeHeaderBlock([['a', 'b']]);
    expect(() => decodeHeaderBlock(block.subarray(0, block.length - 1))).toThrow(/truncated/);
  });

  it('ends every compressed block with a sync flush so Go hands out its last bytes', () => {
    const writer = new HeaderBlockWriter();
    for (let i = 0; i < 3; i++) {
      const out = writer.compress(encodeHeaderBlock([['n', String(i)]]));
      expect(out.subarray(out.length - 5).toString('hex')).toBe('000000ffff');
    }
  });

  it('compresses a session of blocks that one inflater with the dictionary reads back', async () => {
    const writer = new HeaderBlockWriter();
    const reader = new HeaderBlockReader();
    const big = 'x'.repeat(70_000); // more than one stored block
    const blocks = [
      [['streamtype', 'error']],
      [['streamtype', 'stdout'], ['big', big]],
      [],
    ] as Array<Array<[string, string]>>;
    const compressed = blocks.map((b) => writer.compress(encodeHeaderBlock(b)));
    for (const [i, c] of compressed.entries()) {
      expect(decodeHeaderBlock(await reader.decompress(c))).toEqual(decodeHeaderBlock(encodeHeaderBlock(blocks[i])));
    }
    // And zlib itself agrees the concatenation is one valid stream primed with the dictionary.
    const all = inflateSync(Buffer.concat(compressed), { dictionary: SPDY3_HEADER_DICTIONARY, finishFlush: 2 });
    expect(all.length).toBe(blocks.reduce((n, b) => n + encodeHeaderBlock(b).length, 0));
    reader.close();
  });

  it('rejects a header block that is not zlib with the dictionary', async () => {
    const reader = new HeaderBlockReader();
    await expect(reader.decompress(Buffer.from('not zlib at all'))).rejects.toThrow(/does not decompress/);
    reader.close();
  });
});
