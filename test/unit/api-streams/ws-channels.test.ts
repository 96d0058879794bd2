// Kubernetes' WebSocket channel codecs on a fake socket: prefixes, base64, the v5 close signal,
// and back-pressure that pauses the socket until a slow reader catches up.
import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import { describe, expect, it } from 'vitest';
import { CHANNEL_CODECS, ChannelConnection } from '../../../src-main/lab/api/streams/ws-channels';

class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  sent: Array<{ data: Buffer | string; binary: boolean }> = [];
  paused = false;
  send(data: Buffer | string, options: { binary: boolean }, callback: () => void): void {
    this.sent.push({ data, binary: options.binary });
    callback();
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
}

function connection(protocol: string, channels: number[], highWaterMark?: number): { fake: FakeSocket; conn: ChannelConnection } {
  const fake = new FakeSocket();
  const conn = new ChannelConnection(fake as unknown as WebSocket, CHANNEL_CODECS[protocol], channels, highWaterMark);
  return { fake, conn };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += (chunk as Buffer).toString();
  return out;
}

describe('ChannelConnection', () => {
  it('prefixes binary messages with the channel number', () => {
    const { fake, conn } = connection('v4.channel.k8s.io', []);
    conn.send(1, Buffer.from('out'));
    expect(fake.sent).toEqual([{ data: Buffer.from('\x01out'), binary: true }]);
  });

  it('sends base64 text behind the channel digit in the base64 protocols', () => {
    const { fake, conn } = connection('v4.base64.channel.k8s.io', []);
    conn.send(2, Buffer.from([0xff, 0x00]));
    expect(fake.sent).toEqual([{ data: '2/wA=', binary: false }]);
  });

  it('routes what the client sends to the channel it names, decoding base64', async () => {
    const { fake, conn } = connection('v4.base64.channel.k8s.io', [0]);
    fake.emit('message', Buffer.from('0' + Buffer.from('hi there').toString('base64')));
    fake.emit('message', Buffer.from('7' + Buffer.from('nobody reads 7').toString('base64')));
    fake.emit('close');
    expect(await readAll(conn.input(0))).toBe('hi there');
  });

  it('ends a channel on the v5 close signal and ignores the signal before v5', async () => {
    const v5 = connection('v5.channel.k8s.io', [0, 4]);
    v5.fake.emit('message', Buffer.from('\x00abc'));
    v5.fake.emit('message', Buffer.of(255, 0));
    v5.fake.emit('message', Buffer.from('\x00after close'));
    expect(await readAll(v5.conn.input(0))).toBe('abc');

    const v4 = connection('v4.channel.k8s.io', [0]);
    v4.fake.emit('message', Buffer.from('\x00abc'));
    v4.fake.emit('message', Buffer.of(255, 0));
    const input = v4.conn.input(0);
    let ended = false;
    input.on('end', () => (ended = true));
    input.resume();
    await new Promise((r) => setTimeout(r, 10));
    expect(ended).toBe(false);
  });

  it('pauses the socket while a reader is behind and resumes when it reads', async () => {
    const { fake, conn } = connection('v4.channel.k8s.io', [0], 4);
    fake.emit('message', Buffer.from('\x00123456'));
    expect(fake.paused).toBe(true);
    conn.input(0).read();
    await new Promise((r) => setImmediate(r));
    expect(fake.paused).toBe(false);
  });

  it('sends nothing once the socket is no longer open', () => {
    const { fake, conn } = connection('v5.channel.k8s.io', []);
    fake.readyState = 3;
    let called = false;
    conn.send(1, Buffer.from('late'), () => (called = true));
    expect(fake.sent).toEqual([]);
    expect(called).toBe(true);
  });
});
