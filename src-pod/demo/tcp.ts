// Plain TCP demo apps: an echo server and a server-first "banner" server (the SMTP/MySQL pattern).
import { createServer, type Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import {
  peerAddress,
  serveOnPorts,
  stdoutLog,
  type ListenOptions,
  type LogLine,
  type RunningApp,
} from './serve';

export interface EchoOptions extends ListenOptions {
  log?: LogLine;
}

export interface BannerOptions extends ListenOptions {
  /** Sent as `TEXT\r\n` the moment a client connects. */
  banner?: string;
  log?: LogLine;
}

export const DEFAULT_BANNER = '220 sidecar-lab banner ready';

// Bounds a line the banner server holds while waiting for its newline.
const MAX_LINE = 64 * 1024;

/**
 * Echoes everything back on `socket`; `already` is data read before the hand-over (the
 * `listen` app sniffs the first bytes). A client's FIN is answered with ours once echoed.
 */
export function echoConnection(socket: Socket, log: LogLine, already?: Buffer): void {
  const peer = peerAddress(socket);
  let bytes = already?.length ?? 0;
  socket.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  // Connection resets are the client's business; they must not crash the app.
  socket.on('error', () => undefined);
  socket.once('close', () => log(`echo ${peer} closed after ${bytes} bytes`));
  if (already && already.length > 0) socket.write(already);
  socket.pipe(socket);
}

/** Starts the TCP echo server on every port in `opts.ports`. */
export function startEcho(opts: EchoOptions): Promise<RunningApp> {
  const log = opts.log ?? stdoutLog;
  return serveOnPorts(opts, () => createServer((socket) => echoConnection(socket, log)));
}

function bannerConnection(socket: Socket, banner: string, log: LogLine): void {
  const peer = peerAddress(socket);
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let lines = 0;
  socket.on('error', () => undefined);
  socket.once('close', () => log(`banner ${peer} closed after ${lines} lines`));
  // Server speaks first: a proxy that waits for client bytes before connecting upstream hangs here.
  socket.write(`${banner}\r\n`);

  const reply = (line: string): void => {
    lines++;
    if (line.trim().toUpperCase() === 'QUIT') {
      socket.end('221 bye\r\n');
      return;
    }
    socket.write(`250 ${line}\r\n`);
  };
  socket.on('data', (chunk: Buffer) => {
    pending += decoder.write(chunk);
    let newline: number;
    while ((newline = pending.indexOf('\n')) !== -1 && !socket.writableEnded) {
      reply(pending.slice(0, newline).replace(/\r$/, ''));
      pending = pending.slice(newline + 1);
    }
    if (pending.length > MAX_LINE) {
      reply(pending);
      pending = '';
    }
  });
  socket.on('end', () => {
    // A last line without a newline still gets its answer before our FIN.
    if (pending.length > 0 && !socket.writableEnded) reply(pending);
    if (!socket.writableEnded) socket.end();
  });
}

/** Starts the banner server on every port in `opts.ports`. */
export function startBanner(opts: BannerOptions): Promise<RunningApp> {
  const log = opts.log ?? stdoutLog;
  const banner = opts.banner ?? DEFAULT_BANNER;
  return serveOnPorts(opts, () =>
    createServer({ allowHalfOpen: true }, (socket) => bannerConnection(socket, banner, log)),
  );
}
