// `demo fortio server`: the lean echo server of the performance scenario (fortio server's role): a request's body comes back, nothing is logged or formatted per request.
//
// It reads requests off the raw socket (Node's http server costs more CPU per request than the
// proxy being measured). It knows what a load test sends: requests with a Content-Length body or
// none, keep-alive, pipelining, `Expect: 100-continue`; `?size=N` answers N bytes, `?status=N` that
// status, as fortio's echo does. A chunked request gets 411 and the connection closes.
import { createServer, type Server, type Socket } from 'node:net';

const HEAD_END = Buffer.from('\r\n\r\n');
const MAX_HEAD = 64 * 1024;
const MAX_BODY = 10 * 1024 * 1024;
const MAX_SIZE = 256 * 1024;
const CONTINUE = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
const REASONS: Record<number, string> = { 200: 'OK', 400: 'Bad Request', 404: 'Not Found', 411: 'Length Required', 413: 'Payload Too Large', 500: 'Internal Server Error', 503: 'Service Unavailable' };

interface Head {
  close: boolean;
  length: number;
  status: number;
  size: number | undefined;
  expectContinue: boolean;
}

/** The facts of a request head the echo needs; a string error answers 400/411/413. */
export function readHead(text: string): Head | { error: number } {
  const lines = text.split('\r\n');
  const m = /^([A-Z]+) (\S+) HTTP\/1\.([01])$/.exec(lines[0] ?? '');
  if (!m) return { error: 400 };
  const head: Head = { close: m[3] === '0', length: 0, status: 200, size: undefined, expectContinue: false };
  for (let i = 1; i < lines.length; i++) {
    const colon = lines[i].indexOf(':');
    if (colon <= 0) return { error: 400 };
    const name = lines[i].slice(0, colon).trim().toLowerCase();
    const value = lines[i].slice(colon + 1).trim();
    if (name === 'content-length') {
      if (!/^\d+$/.test(value)) return { error: 400 };
      head.length = Number(value);
    } else if (name === 'transfer-encoding') return { error: 411 };
    else if (name === 'connection') head.close = value.toLowerCase() === 'close' ? true : value.toLowerCase() === 'keep-alive' ? false : head.close;
    else if (name === 'expect') head.expectContinue = value.toLowerCase() === '100-continue';
  }
  if (head.length > MAX_BODY) return { error: 413 };
  const query = m[2].indexOf('?');
  if (query >= 0) {
    const params = new URLSearchParams(m[2].slice(query + 1));
    const size = params.get('size');
    const status = params.get('status');
    if (size !== null && /^\d+$/.test(size)) head.size = Math.min(Number(size), MAX_SIZE);
    if (status !== null && /^[1-5]\d\d$/.test(status) && Number(status) >= 200) head.status = Number(status);
  }
  return head;
}

function responseHead(status: number, length: number, close: boolean): Buffer {
  const reason = REASONS[status] ?? 'Status';
  return Buffer.from(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${length}\r\n${close ? 'Connection: close\r\n' : ''}\r\n`,
    'latin1',
  );
}

/** Serves one connection: parse, echo, repeat while the client keeps it alive. */
export function serveEcho(socket: Socket): void {
  socket.setNoDelay(true);
  socket.on('error', () => undefined);
  let buf: Buffer = Buffer.alloc(0);
  let head: Head | undefined;
  socket.on('data', (chunk: Buffer) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    for (;;) {
      if (!head) {
        const end = buf.indexOf(HEAD_END);
        if (end < 0) {
          if (buf.length > MAX_HEAD) socket.end(responseHead(400, 0, true));
          return;
        }
        const parsed = readHead(buf.toString('latin1', 0, end));
        buf = buf.subarray(end + 4);
        if ('error' in parsed) {
          socket.end(responseHead(parsed.error, 0, true));
          return;
        }
        head = parsed;
        if (head.expectContinue && buf.length < head.length) socket.write(CONTINUE);
      }
      if (buf.length < head.length) return;
      const body = buf.subarray(0, head.length);
      buf = buf.subarray(head.length);
      const payload = head.size === undefined ? body : Buffer.alloc(head.size, 'x');
      // One write per response: head and body in one segment (with Nagle off, two writes are two packets).
      socket.write(Buffer.concat([responseHead(head.status, payload.length, head.close), payload]));
      const close = head.close;
      head = undefined;
      if (close) {
        socket.end();
        return;
      }
      if (buf.length === 0) return;
    }
  });
}

export function createEchoServer(): Server {
  return createServer({ noDelay: true }, serveEcho);
}
