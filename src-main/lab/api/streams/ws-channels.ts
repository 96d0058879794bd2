// Kubernetes' WebSocket channel protocols (apimachinery's wsstream): each message carries one
// channel's data behind a channel-number prefix byte. In the base64 variants the messages are text,
// the prefix is the channel's digit and the data is base64. Version 5 adds a CLOSE signal: a
// message on channel 255 whose one byte names the channel the peer has finished writing.
import { Readable, Writable } from 'node:stream';
import type { RawData, WebSocket } from 'ws';
import { toBuffer } from './ws-duplex';

export const CLOSE_SIGNAL_CHANNEL = 255;

export interface ChannelCodec {
  /** Text messages with base64 data instead of binary ones. */
  base64: boolean;
  /** Channel 255 half-closes a channel (v5.channel.k8s.io). */
  closeSignal: boolean;
}

/** Channel codecs by WebSocket subprotocol; "" is a client that asked for none. */
export const CHANNEL_CODECS: Record<string, ChannelCodec> = {
  'v5.channel.k8s.io': { base64: false, closeSignal: true },
  'v4.channel.k8s.io': { base64: false, closeSignal: false },
  'v4.base64.channel.k8s.io': { base64: true, closeSignal: false },
  'channel.k8s.io': { base64: false, closeSignal: false },
  'base64.channel.k8s.io': { base64: true, closeSignal: false },
  '': { base64: false, closeSignal: false },
};

/** What the server reads from a channel, as one Readable per channel; others are dropped. */
export class ChannelConnection {
  private readonly inputs = new Map<number, Readable>();
  private readonly backlogged = new Set<number>();
  /** Channels the client has closed (or that ended with the connection): later data is dropped. */
  private readonly ended = new Set<number>();

  constructor(
    readonly ws: WebSocket,
    private readonly codec: ChannelCodec,
    readChannels: number[],
    highWaterMark = 1024 * 1024,
  ) {
    for (const channel of readChannels) {
      const input = new Readable({
        highWaterMark,
        read: () => {
          if (this.backlogged.delete(channel) && this.backlogged.size === 0) ws.resume();
        },
      });
      input.on('error', () => {});
      this.inputs.set(channel, input);
    }
    ws.on('message', (data: RawData) => this.receive(toBuffer(data)));
    // The connection is gone: readers see the end of their data, as wsstream closes its pipes.
    ws.on('close', () => {
      for (const channel of this.inputs.keys()) this.endInput(channel);
    });
  }

  input(channel: number): Readable {
    const input = this.inputs.get(channel);
    if (!input) throw new Error(`channel ${channel} is not read by the server`);
    return input;
  }

  /** Ends what the server reads from a channel, as if the client had closed it. */
  endInput(channel: number): void {
    const input = this.inputs.get(channel);
    if (!input || this.ended.has(channel)) return;
    this.ended.add(channel);
    if (!input.destroyed) input.push(null);
    if (this.backlogged.delete(channel) && this.backlogged.size === 0) this.ws.resume();
  }

  /** A Writable whose chunks go out as messages on the channel; nothing is sent once closed. */
  output(channel: number): Writable {
    const output = new Writable({
      write: (chunk: Buffer, _encoding, callback) => this.send(channel, chunk, () => callback()),
    });
    output.on('error', () => {});
    return output;
  }

  send(channel: number, data: Buffer, callback?: () => void): void {
    if (this.ws.readyState !== this.ws.OPEN) {
      callback?.();
      return;
    }
    const message = this.codec.base64
      ? String.fromCharCode(48 + channel) + data.toString('base64')
      : Buffer.concat([Buffer.of(channel), data]);
    this.ws.send(message, { binary: !this.codec.base64 }, () => callback?.());
  }

  private receive(message: Buffer): void {
    // Like wsstream, the codec decides how a message reads, not whether it came as text or binary.
    if (message.length === 0) return;
    const channel = this.codec.base64 ? message[0] - 48 : message[0];
    let data = message.subarray(1);
    if (this.codec.closeSignal && channel === CLOSE_SIGNAL_CHANNEL) {
      if (data.length === 1) this.endInput(data[0]);
      return;
    }
    const input = this.inputs.get(channel);
    if (!input || this.ended.has(channel)) return;
    if (this.codec.base64) data = Buffer.from(data.toString('latin1'), 'base64');
    if (data.length > 0 && !input.push(data)) {
      this.backlogged.add(channel);
      this.ws.pause();
    }
  }
}
