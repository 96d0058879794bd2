// Start-up calls of a stand-in: each speaks its protocol's first exchange and logs what it saw.
import { request } from 'node:http';
import { connect as connectHttp2 } from 'node:http2';
import { connect, type Socket } from 'node:net';
import { grpcFrame, HEALTH_CHECK } from './http';
import { takePackets } from './mysql';
import { PROTOCOL_3 } from './postgres';
import type { CallSpec } from './spec';

export const CALL_TIMEOUT_MS = 5000;

export interface CallResult {
  ok: boolean;
  /** One line: what answered, or how it failed (`connection refused`, `no greeting within 5 s`). */
  detail: string;
  ms: number;
}

const ERRNO_TEXT: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by peer',
  ETIMEDOUT: 'connection timed out',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'temporary failure in name resolution',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network is unreachable',
  EPIPE: 'broken pipe',
};

export function describeError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return (code && ERRNO_TEXT[code]) ?? (err instanceof Error ? err.message : String(err));
}

/** Connects, runs `exchange` on the socket, and settles once with a result (or the timeout's). */
function socketCall(call: CallSpec, timeoutMs: number, exchange: (s: Socket, done: (ok: boolean, detail: string) => void) => void): Promise<CallResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect({ host: call.host, port: call.port });
    let settled = false;
    const done = (ok: boolean, detail: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ok, detail, ms: Date.now() - started });
    };
    let connected = false;
    const timer = setTimeout(
      () => done(false, connected ? `connected, no answer within ${timeoutMs / 1000} s` : `no connection within ${timeoutMs / 1000} s`),
      timeoutMs,
    );
    socket.once('connect', () => {
      connected = true;
      exchange(socket, done);
    });
    socket.once('error', (err) => done(false, describeError(err)));
    socket.once('close', () => done(false, connected ? 'connection closed by the server before it answered' : 'connection closed'));
  });
}

/** Reads until `enough` says the reply is complete. */
function collect(s: Socket, enough: (data: Buffer) => boolean, then: (data: Buffer) => void): void {
  let data = Buffer.alloc(0);
  s.on('data', (chunk: Buffer) => {
    data = Buffer.concat([data, chunk]);
    if (enough(data)) then(data);
  });
}

function mysqlCall(call: CallSpec, timeoutMs: number): Promise<CallResult> {
  // Server-first: the client only waits. A proxy that waits for client bytes shows here as no greeting.
  return socketCall(call, timeoutMs, (s, done) =>
    collect(s, (d) => takePackets(d).packets.length > 0, (d) => {
      const p = takePackets(d).packets[0].payload;
      if (p[0] === 10) done(true, `greeting from MySQL server ${p.toString('utf8', 1, p.indexOf(0, 1))}`);
      else if (p[0] === 0xff) done(false, `error ${p.readUInt16LE(1)}: ${p.toString('utf8', 9)}`);
      else done(false, `not a MySQL greeting (first byte 0x${p[0].toString(16)})`);
    }),
  );
}

function postgresCall(call: CallSpec, timeoutMs: number): Promise<CallResult> {
  return socketCall(call, timeoutMs, (s, done) => {
    const params = Buffer.from('user\0standin\0database\0postgres\0\0', 'utf8');
    const head = Buffer.alloc(8);
    head.writeInt32BE(8 + params.length);
    head.writeInt32BE(PROTOCOL_3, 4);
    s.write(Buffer.concat([head, params]));
    collect(s, (d) => d.length >= 5 && d.length >= 1 + d.readInt32BE(1), (d) => {
      const type = String.fromCharCode(d[0]);
      if (type === 'R') done(true, `Postgres answered the start-up (authentication request ${d.readInt32BE(5)})`);
      else if (type === 'E') done(false, `Postgres error: ${d.toString('utf8', 5).split('\0').find((f) => f.startsWith('M'))?.slice(1) ?? ''}`);
      else done(false, `not a Postgres reply (message type ${JSON.stringify(type)})`);
    });
  });
}

function redisCall(call: CallSpec, timeoutMs: number): Promise<CallResult> {
  return socketCall(call, timeoutMs, (s, done) => {
    s.write('*1\r\n$4\r\nPING\r\n');
    collect(s, (d) => d.includes('\r\n'), (d) => {
      const line = d.toString('utf8', 0, d.indexOf('\r\n'));
      // NOAUTH still shows a Redis that answered; the app would AUTH next.
      done(line === '+PONG' || line.startsWith('-NOAUTH'), `Redis answered ${line.slice(0, 100)}`);
    });
  });
}

function tcpCall(call: CallSpec, timeoutMs: number): Promise<CallResult> {
  return socketCall(call, timeoutMs, (s, done) => {
    const timer = setTimeout(() => done(true, 'connected'), 300);
    s.once('data', (d: Buffer) => {
      clearTimeout(timer);
      done(true, `connected; the server sent ${JSON.stringify(d.toString('latin1', 0, 60))}`);
    });
  });
}

function httpCall(call: CallSpec, timeoutMs: number): Promise<CallResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const req = request({ host: call.host, port: call.port, path: call.path, timeout: timeoutMs, headers: { 'user-agent': 'sidecar-lab-standin' } }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      const server = res.headers.server ? ` (server: ${res.headers.server})` : '';
      resolve({ ok: status < 500, detail: `HTTP ${status}${server}`, ms: Date.now() - started });
    });
    req.once('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs / 1000} s`), { code: 'TIMEOUT' })));
    req.once('error', (err) => resolve({ ok: false, detail: describeError(err), ms: Date.now() - started }));
    req.end();
  });
}

function grpcCall(call: CallSpec, timeoutMs: number): Promise<CallResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const session = connectHttp2(`http://${call.host.includes(':') ? `[${call.host}]` : call.host}:${call.port}`);
    const finish = (ok: boolean, detail: string): void => {
      clearTimeout(timer);
      session.destroy();
      resolve({ ok, detail, ms: Date.now() - started });
    };
    const timer = setTimeout(() => finish(false, `no answer within ${timeoutMs / 1000} s`), timeoutMs);
    session.once('error', (err) => finish(false, describeError(err)));
    const stream = session.request({ ':method': 'POST', ':path': HEALTH_CHECK, 'content-type': 'application/grpc', te: 'trailers' });
    stream.once('error', (err) => finish(false, describeError(err)));
    stream.once('trailers', (t) => finish(t['grpc-status'] === '0', `gRPC status ${String(t['grpc-status'])}`));
    stream.once('response', (h) => {
      if (h['grpc-status'] !== undefined) finish(h['grpc-status'] === '0', `gRPC status ${String(h['grpc-status'])}`);
    });
    stream.resume();
    stream.end(grpcFrame(Buffer.alloc(0)));
  });
}

/** Makes one call with its scheme's first exchange. */
export function makeCall(call: CallSpec, timeoutMs = CALL_TIMEOUT_MS): Promise<CallResult> {
  switch (call.scheme) {
    case 'http':
      return httpCall(call, timeoutMs);
    case 'grpc':
      return grpcCall(call, timeoutMs);
    case 'mysql':
      return mysqlCall(call, timeoutMs);
    case 'postgres':
      return postgresCall(call, timeoutMs);
    case 'redis':
      return redisCall(call, timeoutMs);
    default:
      return tcpCall(call, timeoutMs);
  }
}
