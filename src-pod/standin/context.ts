// What every protocol handler of the stand-in gets: the spec it plays and where its log lines go.
import type { Socket } from 'node:net';
import { peerAddress, type LogLine } from '../demo/serve';
import type { StandinSpec } from './spec';

export interface ServeContext {
  spec: StandinSpec;
  log: LogLine;
}

export type ConnectionHandler = (socket: Socket, ctx: ServeContext) => void;

/** `10.244.0.5:51234`, for the one log line each connection gets. */
export function peerOf(socket: Socket): string {
  return `${peerAddress(socket)}:${socket.remotePort ?? '?'}`;
}

/** True for a client on the loopback interface (127.0.0.0/8, ::1), as servers that trust only it check. */
export function isLoopbackPeer(socket: Socket): boolean {
  const a = peerAddress(socket);
  return a === '::1' || a.startsWith('127.');
}

/** Calls `onChunk` with each piece of data and swallows resets: the client's business, not a crash. */
export function readChunks(socket: Socket, onChunk: (chunk: Buffer) => void): void {
  socket.on('error', () => undefined);
  socket.on('data', onChunk);
}
