// A WebSocket's binary messages as one byte stream: how kubectl 1.30+ tunnels SPDY port-forwarding
// through a WebSocket (KEP-4006, client-go's TunnelingConnection). Message boundaries carry no
// meaning; a text message is a protocol error; a close with code 1000 is the end of the stream.
import { Duplex } from 'node:stream';
import type { RawData, WebSocket } from 'ws';

export function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

export function webSocketDuplex(ws: WebSocket): Duplex {
  const duplex = new Duplex({
    allowHalfOpen: false,
    read() {
      ws.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      if (ws.readyState !== ws.OPEN) return callback();
      ws.send(chunk, { binary: true }, () => callback());
    },
    final(callback) {
      if (ws.readyState === ws.OPEN) ws.close(1000);
      callback();
    },
    destroy(error, callback) {
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(1000);
      callback(error);
    },
  });
  duplex.on('error', () => {});
  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (!isBinary) {
      ws.close(1002, 'invalid message type received');
      duplex.destroy();
      return;
    }
    if (!duplex.push(toBuffer(data))) ws.pause();
  });
  ws.on('close', () => duplex.push(null));
  ws.on('error', () => duplex.destroy());
  return duplex;
}
