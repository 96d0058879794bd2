// The SPDY session on an in-memory connection: streams opened, answered, refused, half-closed,
// and the peer's PINGs echoed, as spdystream behaves for Kubernetes.
import { Duplex, PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FLAG_FIN, FrameReader, FrameType, HeaderBlockWriter, RstStatus, encodeHeaderBlock, pingFrame, synStreamFrame, type Frame } from '../../../src-main/lab/api/streams/spdy-frames';
import { SpdySession, type SpdyStream } from '../../../src-main/lab/api/streams/spdy-session';

function connectionPair(): [Duplex, Duplex] {
  const aToB = new PassThrough();
  const bToA = new PassThrough();
  const side = (readable: PassThrough, writable: PassThrough): Duplex => {
    const duplex = new Duplex({
      read: () => readable.resume(),
      write: (chunk: Buffer, _e, callback) => writable.write(chunk, () => callback()),
      final: (callback) => {
        writable.end();
        callback();
      },
      // Like a socket: destroying one end closes the connection for the other.
      destroy: (error, callback) => {
        writable.end();
        callback(error);
      },
    });
    readable.on('data', (chunk: Buffer) => {
      if (!duplex.push(chunk)) readable.pause();
    });
    readable.on('end', () => duplex.push(null));
    return duplex;
  };
  return [side(bToA, aToB), side(aToB, bToA)];
}

/** Reads to the end without destroying the stream (for-await would, resetting it). */
function readAll(stream: Duplex): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    stream.on('data', (chunk: Buffer) => (out += chunk.toString()));
    stream.once('end', () => resolve(out));
  });
}

describe('SpdySession', () => {
  it('answers the streams a client opens and carries data both ways with half-close', async () => {
    const [clientSide, serverSide] = connectionPair();
    const accepted: SpdyStream[] = [];
    const server = new SpdySession(serverSide, { role: 'server', onStream: (s) => accepted.push(s) });
    const client = new SpdySession(clientSide, { role: 'client' });
    const stream = await client.openStream([['streamType', 'stdin'], ['X-Extra', 'v']]);
    expect(stream.id).toBe(1);
    expect(accepted).toHaveLength(1);
    const peer = accepted[0];
    expect(peer.header('streamType')).toBe('stdin');
    expect(peer.header('x-extra')).toBe('v');
    stream.end('from client');
    expect(await readAll(peer)).toBe('from client');
    peer.end('from server');
    expect(await readAll(stream)).toBe('from server');
    const second = await client.openStream([['streamType', 'stdout']]);
    expect(second.id).toBe(3);
    client.destroy();
    await server.closed;
  });

  it('resets a stream the server refuses, and the opener learns of it', async () => {
    const [clientSide, serverSide] = connectionPair();
    new SpdySession(serverSide, {
      role: 'server',
      acceptStream: (s) => {
        if (s.header('port') === undefined) throw new Error('"port" header is required');
      },
    });
    const client = new SpdySession(clientSide, { role: 'client' });
    await expect(client.openStream([['streamType', 'data']])).rejects.toThrow(/reset/);
    await expect(client.openStream([['streamType', 'data'], ['port', '80']])).resolves.toBeDefined();
    client.destroy();
  });

  it('echoes a client PING, refuses a stream id of the wrong parity, and honours FIN on SYN_STREAM', async () => {
    const [raw, serverSide] = connectionPair();
    const streams: SpdyStream[] = [];
    new SpdySession(serverSide, { role: 'server', onStream: (s) => streams.push(s) });
    const frames: Frame[] = [];
    const reader = new FrameReader();
    raw.on('data', (chunk: Buffer) => {
      reader.push(chunk);
      for (let f = reader.next(); f; f = reader.next()) frames.push(f);
    });
    const headers = new HeaderBlockWriter();
    raw.write(pingFrame(7));
    raw.write(synStreamFrame(2, 0, headers.compress(encodeHeaderBlock([['streamType', 'x']]))));
    raw.write(synStreamFrame(5, FLAG_FIN, headers.compress(encodeHeaderBlock([['streamType', 'y']]))));
    for (let i = 0; i < 50 && frames.length < 3; i++) await new Promise((r) => setTimeout(r, 5));
    const control = frames.filter((f): f is Extract<Frame, { control: true }> => f.control);
    expect(control.map((f) => f.type)).toEqual([FrameType.Ping, FrameType.RstStream, FrameType.SynReply]);
    expect(control[0].payload.readUInt32BE(0)).toBe(7);
    expect([control[1].payload.readUInt32BE(0), control[1].payload.readUInt32BE(4)]).toEqual([2, RstStatus.ProtocolError]);
    expect(control[2].payload.readUInt32BE(0)).toBe(5);
    expect(streams.map((s) => s.id)).toEqual([5]);
    expect(await readAll(streams[0])).toBe('');
    raw.destroy();
  });
});
