// A minimal WebSocket client (RFC 6455), written for the stream tests so they speak Kubernetes'
// subprotocols byte by byte — including "SPDY/3.1+portforward.k8s.io", which the `ws` client refuses.
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';

export interface Message {
  binary: boolean;
  data: Buffer;
}

export class TestWebSocket {
  readonly messages: Message[] = [];
  closeCode: number | undefined;
  /** Settles when the TCP connection is gone. */
  readonly closed: Promise<void>;
  private buffer = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  private listeners: Array<(message: Message) => void> = [];

  constructor(
    private readonly socket: Socket,
    readonly protocol: string,
    head: Buffer,
  ) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('close', () => this.notify());
    socket.on('error', () => {});
    if (head.length > 0) this.receive(head);
  }

  send(data: Buffer | string): void {
    const binary = Buffer.isBuffer(data);
    this.writeFrame(binary ? 0x2 : 0x1, binary ? data : Buffer.from(data, 'utf8'));
  }

  close(code = 1000): void {
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(code);
    this.writeFrame(0x8, payload);
  }

  /** Calls `listener` with each data message from now on. */
  onMessage(listener: (message: Message) => void): void {
    this.listeners.push(listener);
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Waits until `predicate` holds over the messages received so far (or the connection closes). */
  async waitFor(predicate: (messages: Message[]) => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.messages)) {
      if (this.socket.destroyed) throw new Error(`connection closed first; got ${JSON.stringify(this.describe())}`);
      if (Date.now() > deadline) throw new Error(`timed out; got ${JSON.stringify(this.describe())}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  describe(): string[] {
    return this.messages.map((m) => (m.binary ? `bin[${m.data[0]}]${m.data.subarray(1).toString()}` : `text:${m.data.toString()}`));
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private writeFrame(opcode: number, payload: Buffer): void {
    if (this.socket.destroyed) return;
    const mask = randomBytes(4);
    let header: Buffer;
    if (payload.length < 126) {
      header = Buffer.from([0x80 | opcode, 0x80 | payload.length]);
    } else if (payload.length < 65536) {
      header = Buffer.alloc(4);
      header[0] = 0x80 | opcode;
      header[1] = 0x80 | 126;
      header.writeUInt16BE(payload.length, 2);
    } else {
      header = Buffer.alloc(10);
      header[0] = 0x80 | opcode;
      header[1] = 0x80 | 127;
      header.writeBigUInt64BE(BigInt(payload.length), 2);
    }
    const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
    this.socket.write(Buffer.concat([header, mask, masked]));
  }

  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.buffer.length < 2) break;
      const opcode = this.buffer[0] & 0x0f;
      let length = this.buffer[1] & 0x7f;
      let at = 2;
      if (length === 126) {
        if (this.buffer.length < 4) break;
        length = this.buffer.readUInt16BE(2);
        at = 4;
      } else if (length === 127) {
        if (this.buffer.length < 10) break;
        length = Number(this.buffer.readBigUInt64BE(2));
        at = 10;
      }
      if (this.buffer.length < at + length) break;
      const payload = this.buffer.subarray(at, at + length);
      this.buffer = this.buffer.subarray(at + length);
      // Servers send whole, unmasked frames; continuation frames are not needed here.
      if (opcode === 0x1 || opcode === 0x2) {
        const message = { binary: opcode === 0x2, data: Buffer.from(payload) };
        this.messages.push(message);
        for (const listener of this.listeners) listener(message);
      }
      else if (opcode === 0x9) this.writeFrame(0xa, Buffer.from(payload));
      else if (opcode === 0x8) {
        this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        this.writeFrame(0x8, payload.subarray(0, 2));
        this.socket.end();
      }
    }
    this.notify();
  }
}

export interface RefusedUpgrade {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Opens a WebSocket offering `protocols`; resolves with the refusal when the server answers otherwise. An https URL (a lab's API) takes its CA and a bearer token. */
export function openWebSocket(url: string, protocols: string[], tls?: { ca: Buffer; token: string }): Promise<TestWebSocket | RefusedUpgrade> {
  const key = randomBytes(16).toString('base64');
  return new Promise((resolve, reject) => {
    const req = (url.startsWith('https:') ? httpsRequest : request)(url, {
      ...(tls ? { ca: tls.ca } : {}),
      headers: {
        ...(tls ? { Authorization: `Bearer ${tls.token}` } : {}),
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': key,
        ...(protocols.length > 0 ? { 'Sec-WebSocket-Protocol': protocols.join(', ') } : {}),
      },
    });
    req.on('upgrade', (res, socket, head) => {
      const expected = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      if (res.headers['sec-websocket-accept'] !== expected) return reject(new Error('bad Sec-WebSocket-Accept'));
      resolve(new TestWebSocket(socket, String(res.headers['sec-websocket-protocol'] ?? ''), head));
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

export function isOpen(ws: TestWebSocket | RefusedUpgrade): ws is TestWebSocket {
  return ws instanceof TestWebSocket;
}
