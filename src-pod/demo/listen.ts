// Stand-in app for a manifest whose image is missing: HTTP on ports that get HTTP, TCP echo otherwise.
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Socket } from 'node:net';
import { createHttpbinHandler } from './httpbin';
import {
  serveOnPorts,
  stdoutLog,
  type ListenOptions,
  type LogLine,
  type RunningApp,
} from './serve';
import { echoConnection } from './tcp';

export interface ListenAppOptions extends ListenOptions {
  name?: string;
  log?: LogLine;
}

// HTTP/1.x request methods; a request line starts with one of these and a space.
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT'];
const PREFIXES = METHODS.map((m) => Buffer.from(`${m} `, 'latin1'));

// A client that sent "GE" and stalls is not going to finish a request line; echo what it sent.
const SNIFF_TIMEOUT_MS = 2000;

/** true: an HTTP request line; false: something else; undefined: too few bytes to tell yet. */
export function looksLikeHttp(data: Buffer): boolean | undefined {
  let undecided = false;
  for (const prefix of PREFIXES) {
    const n = Math.min(prefix.length, data.length);
    if (!data.subarray(0, n).equals(prefix.subarray(0, n))) continue;
    if (data.length >= prefix.length) return true;
    undecided = true;
  }
  return undecided ? undefined : false;
}

/** Reads the first bytes of `socket` until `looksLikeHttp` decides, then hands them over. */
function sniff(socket: Socket, decided: (isHttp: boolean, buffered: Buffer) => void): void {
  let buffered = Buffer.alloc(0);
  let timer: NodeJS.Timeout | undefined;
  const finish = (isHttp: boolean): void => {
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('end', onEnd);
    socket.off('close', onClose);
    decided(isHttp, buffered);
  };
  const onData = (chunk: Buffer): void => {
    buffered = Buffer.concat([buffered, chunk]);
    const verdict = looksLikeHttp(buffered);
    if (verdict !== undefined) finish(verdict);
    else timer ??= setTimeout(() => finish(false), SNIFF_TIMEOUT_MS);
  };
  const onEnd = (): void => finish(false);
  const onClose = (): void => clearTimeout(timer);
  socket.on('data', onData);
  socket.once('end', onEnd);
  socket.once('close', onClose);
}

/** Starts the sniffing app on every port in `opts.ports`. */
export function startListen(opts: ListenAppOptions): Promise<RunningApp> {
  const log = opts.log ?? stdoutLog;
  const handler = createHttpbinHandler({ name: opts.name, log });
  // Never listens itself: it only parses the connections the sniffer hands it.
  const http = createHttpServer(handler);
  const onConnection = (socket: Socket): void => {
    socket.on('error', () => undefined);
    sniff(socket, (isHttp, buffered) => {
      if (!isHttp) {
        echoConnection(socket, log, buffered);
        return;
      }
      // Put the sniffed bytes back and let node's HTTP parser read them first.
      socket.pause();
      socket.unshift(buffered);
      http.emit('connection', socket);
      process.nextTick(() => socket.resume());
    });
  };
  return serveOnPorts(opts, () => createServer({ allowHalfOpen: true }, onConnection));
}
