// The load generator's HTTP/1.1 client: keep-alive raw sockets, one request in flight per connection, a minimal response reader.
//
// Node's http.request + Agent cost more CPU per request than the sidecar we measure; on a small
// machine the generator then competes with what it measures. This sends one prepared buffer per
// request and reads only what it needs: the status, the framing, the end of the body.
import { connect, type Socket } from 'node:net';

export interface Outcome {
  status: number;
  /** Set when the request got no complete response (connection refused, reset, closed early). */
  error?: string;
}

type Done = (outcome: Outcome) => void;

const HEAD_END = Buffer.from('\r\n\r\n');
const MAX_HEAD = 64 * 1024;

/** Reads HTTP/1.1 responses off one connection: content-length, chunked, or close-delimited bodies. */
export class ResponseReader {
  private buf: Buffer = Buffer.alloc(0);
  private status = 0;
  /** Body bytes still to come (content-length); -1 chunked; -2 until close; null while reading the head. */
  private remaining: number | null = null;
  private chunkLeft = 0;
  private close = false;

  constructor(private readonly onResponse: (status: number, close: boolean) => void) {}

  /** Feeds bytes; throws on a response it cannot read. */
  push(data: Buffer): void {
    this.buf = this.buf.length === 0 ? data : Buffer.concat([this.buf, data]);
    while (this.step());
  }

  /** The connection ended: completes a close-delimited body, else reports whether a response was cut short. */
  end(): boolean {
    if (this.remaining === -2) {
      this.finish();
      return true;
    }
    return this.remaining === null && this.buf.length === 0;
  }

  private step(): boolean {
    if (this.remaining === null) return this.head();
    if (this.remaining >= 0) {
      const take = Math.min(this.remaining, this.buf.length);
      this.remaining -= take;
      this.buf = this.buf.subarray(take);
      if (this.remaining > 0) return false;
      this.finish();
      return this.buf.length > 0;
    }
    if (this.remaining === -2) {
      this.buf = Buffer.alloc(0);
      return false;
    }
    return this.chunk();
  }

  private head(): boolean {
    const end = this.buf.indexOf(HEAD_END);
    if (end < 0) {
      if (this.buf.length > MAX_HEAD) throw new Error('response head over 64 KB');
      return false;
    }
    const lines = this.buf.toString('latin1', 0, end).split('\r\n');
    this.buf = this.buf.subarray(end + 4);
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
    if (!m) throw new Error(`not an HTTP/1.1 response: ${JSON.stringify((lines[0] ?? '').slice(0, 60))}`);
    const status = Number(m[1]);
    let length = -2;
    let close = lines[0].startsWith('HTTP/1.0');
    for (let i = 1; i < lines.length; i++) {
      const colon = lines[i].indexOf(':');
      const name = lines[i].slice(0, colon).trim().toLowerCase();
      const value = lines[i].slice(colon + 1).trim().toLowerCase();
      if (name === 'content-length') length = Number(value);
      else if (name === 'transfer-encoding' && value.endsWith('chunked')) length = -1;
      else if (name === 'connection') close = value === 'close' ? true : value === 'keep-alive' ? false : close;
    }
    // Interim responses (100 Continue) have no body and are followed by the real one.
    if (status >= 100 && status < 200) return true;
    this.status = status;
    this.close = close;
    this.remaining = status === 204 || status === 304 ? 0 : length;
    this.chunkLeft = 0;
    if (this.remaining === 0) {
      this.finish();
      return this.buf.length > 0;
    }
    return true;
  }

  private chunk(): boolean {
    if (this.chunkLeft > 0) {
      const take = Math.min(this.chunkLeft, this.buf.length);
      this.chunkLeft -= take;
      this.buf = this.buf.subarray(take);
      return this.chunkLeft === 0 && this.buf.length > 0;
    }
    const eol = this.buf.indexOf('\r\n');
    if (eol < 0) return false;
    const size = parseInt(this.buf.toString('latin1', 0, eol), 16);
    if (Number.isNaN(size)) throw new Error('bad chunk size');
    if (size === 0) {
      // The last chunk, then trailers up to an empty line.
      const end = this.buf.indexOf(HEAD_END, eol - 2 < 0 ? 0 : eol - 2);
      if (end < 0) return false;
      this.buf = this.buf.subarray(end + 4);
      this.finish();
      return this.buf.length > 0;
    }
    this.buf = this.buf.subarray(eol + 2);
    // The chunk's data and its CRLF.
    this.chunkLeft = size + 2;
    return this.buf.length > 0;
  }

  private finish(): void {
    this.remaining = null;
    this.onResponse(this.status, this.close);
  }
}

/** One keep-alive connection; `send` only while it is idle. Reconnects lazily after a close. */
export class LoadConnection {
  private socket: Socket | undefined;
  private reader: ResponseReader | undefined;
  private done: Done | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  get idle(): boolean {
    return this.done === undefined;
  }

  send(request: Buffer, done: Done): void {
    this.done = done;
    const socket = this.socket ?? this.open();
    socket.write(request);
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  private open(): Socket {
    const socket = connect({ host: this.host, port: this.port, noDelay: true });
    const reader = new ResponseReader((status, close) => {
      if (close) this.drop(socket);
      this.settle({ status });
    });
    socket.on('data', (data: Buffer) => {
      try {
        reader.push(data);
      } catch (err) {
        this.drop(socket);
        this.settle({ status: 0, error: (err as Error).message });
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      const complete = reader.end();
      if (this.done) this.settle(complete ? { status: 0, error: 'connection closed before a response' } : { status: 0, error: 'connection closed mid-response' });
    });
    this.socket = socket;
    this.reader = reader;
    return socket;
  }

  private drop(socket: Socket): void {
    if (this.socket === socket) this.socket = undefined;
    socket.destroy();
  }

  private settle(outcome: Outcome): void {
    const done = this.done;
    this.done = undefined;
    done?.(outcome);
  }
}

/** A fixed set of connections with a FIFO of requests waiting for one, as an Agent with maxSockets. */
export class LoadPool {
  private readonly connections: LoadConnection[];
  private readonly waiting: Done[] = [];

  constructor(
    host: string,
    port: number,
    size: number,
    private readonly request: Buffer,
  ) {
    this.connections = Array.from({ length: size }, () => new LoadConnection(host, port));
  }

  /** Sends the request on an idle connection, or when one becomes idle. */
  send(done: Done): void {
    const free = this.connections.find((c) => c.idle);
    if (free) this.dispatch(free, done);
    else this.waiting.push(done);
  }

  close(): void {
    for (const c of this.connections) c.close();
  }

  private dispatch(connection: LoadConnection, done: Done): void {
    connection.send(this.request, (outcome) => {
      const next = this.waiting.shift();
      if (next) this.dispatch(connection, next);
      done(outcome);
    });
  }
}

/** `POST path` with a body of `size` bytes, as one buffer to write per request. */
export function postRequest(url: URL, size: number): Buffer {
  const host = url.port ? `${url.hostname}:${url.port}` : url.hostname;
  const head = `POST ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${host}\r\ncontent-type: application/octet-stream\r\ncontent-length: ${size}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), Buffer.alloc(size, 'x')]);
}
