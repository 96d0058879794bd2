// One keep-alive HTTP/1.1 connection of the load generator: a prepared request buffer out, the status back, a timeout, reconnect on close.
import { connect, type Socket } from 'node:net';
import { ResponseReader } from '../demo/load-client';

/** The status code fortio records for a call that got no HTTP response. */
export const NO_RESPONSE = -1;

export class KeepAliveConnection {
  private socket: Socket | undefined;
  private pending: ((status: number) => void) | undefined;
  /** Sockets opened so far (fortio's "Sockets used": equal to the connections with perfect keep-alive). */
  opened = 0;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly timeoutMs: number,
  ) {}

  /** Sends one request; resolves to its status, or NO_RESPONSE (refused, reset, closed early, timed out). */
  request(data: Buffer): Promise<number> {
    return new Promise((resolve) => {
      this.pending = resolve;
      (this.socket ?? this.open()).write(data);
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  private open(): Socket {
    const socket = connect({ host: this.host, port: this.port, noDelay: true });
    this.opened++;
    const reader = new ResponseReader((status, close) => {
      if (close) this.drop(socket);
      this.settle(status);
    });
    socket.setTimeout(this.timeoutMs);
    // Idle keep-alive time between calls is not a timeout; only a call in flight is.
    socket.on('timeout', () => {
      if (this.pending && this.socket === socket) this.fail(socket);
    });
    socket.on('data', (data: Buffer) => {
      try {
        reader.push(data);
      } catch {
        this.fail(socket);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      reader.end();
      this.settle(NO_RESPONSE);
    });
    this.socket = socket;
    return socket;
  }

  private fail(socket: Socket): void {
    this.drop(socket);
    this.settle(NO_RESPONSE);
  }

  private drop(socket: Socket): void {
    if (this.socket === socket) this.socket = undefined;
    socket.destroy();
  }

  private settle(status: number): void {
    const done = this.pending;
    this.pending = undefined;
    done?.(status);
  }
}

/** The request fortio sends: GET, or POST with `payloadSize` bytes of payload when there is one. */
export function requestBytes(url: URL, payloadSize: number, headers: readonly string[] = []): Buffer {
  const host = url.port ? `${url.hostname}:${url.port}` : url.hostname;
  const lines = [`${payloadSize > 0 ? 'POST' : 'GET'} ${url.pathname}${url.search} HTTP/1.1`, `Host: ${host}`, 'User-Agent: sidecar-lab-load'];
  if (payloadSize > 0) lines.push('Content-Type: application/octet-stream', `Content-Length: ${payloadSize}`);
  lines.push(...headers);
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  return payloadSize > 0 ? Buffer.concat([head, Buffer.alloc(payloadSize, 'x')]) : head;
}
