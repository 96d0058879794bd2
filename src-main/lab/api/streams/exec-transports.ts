// The two ways an exec or attach session's streams reach the server: SPDY streams identified by
// their streamType header (the kubelet's httpstream handler), or channels of one WebSocket (the
// kubelet's wsstream handler for v4 and older, the API server's stream translator for v5).
import type { IncomingMessage } from 'node:http';
import type { Duplex, Readable, Writable } from 'node:stream';
import type { ExecQuery } from './exec-query';
import {
  acceptSpdyUpgrade,
  acceptWebSocket,
  negotiateStreamProtocol,
  refuseWebSocket,
  spdyUpgradeProblem,
  webSocketProtocols,
  writeHttpError,
} from './handshake';
import { SpdySession, type SpdyStream } from './spdy-session';
import { CHANNEL_CODECS, ChannelConnection } from './ws-channels';

/** What either transport gives the session runner. */
export interface ExecStreams {
  transport: 'spdy' | 'websocket';
  protocol: string;
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  resize?: Readable;
  /** v4 and later carry a JSON Status on the error stream; older protocols a failure's message. */
  statusAsJson: boolean;
  writeError(text: string): Promise<void>;
  /** Closes the session after the status; waits for the client to close unless `immediately`. */
  finish(immediately: boolean): Promise<void>;
  /** Settles when the client's connection has closed. */
  gone: Promise<void>;
}

export interface ExecTimeouts {
  streamCreationMs: number;
  finishMs: number;
}

/** The kubelet's SPDY protocols, newest first (v5 over SPDY behaves as v4: SPDY has half-close). */
export const SPDY_EXEC_PROTOCOLS = [
  'v5.channel.k8s.io',
  'v4.channel.k8s.io',
  'v3.channel.k8s.io',
  'v2.channel.k8s.io',
  'channel.k8s.io',
];

/** The WebSocket subprotocols served: the API server's v5 and the kubelet's older ones. */
export const WEBSOCKET_EXEC_PROTOCOLS = [
  'v5.channel.k8s.io',
  'v4.channel.k8s.io',
  'v4.base64.channel.k8s.io',
  'channel.k8s.io',
  'base64.channel.k8s.io',
];

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;

/** Resolves true if `promise` settles first, false once `ms` have passed. */
export function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  return Promise.race([promise.then(() => true), timeout]).finally(() => clearTimeout(timer));
}

function writeTo(stream: Writable | undefined, text: string): Promise<void> {
  if (!stream || stream.writableEnded || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => stream.write(text, () => resolve()));
}

function protocolVersion(protocol: string): number {
  const match = /^v(\d+)\./.exec(protocol);
  return match ? Number(match[1]) : 1;
}

export async function openSpdyExecStreams(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  query: ExecQuery,
  timeouts: ExecTimeouts,
): Promise<ExecStreams | undefined> {
  const negotiation = negotiateStreamProtocol(req, SPDY_EXEC_PROTOCOLS);
  if (!negotiation.ok) {
    writeHttpError(socket, negotiation.code, negotiation.message, negotiation.headers);
    return undefined;
  }
  const problem = spdyUpgradeProblem(req);
  if (problem) {
    writeHttpError(socket, 400, problem);
    return undefined;
  }
  const { protocol } = negotiation;
  const resizable = protocolVersion(protocol) >= 3;
  // The kubelet waits for the error stream plus one per requested stream (and resize with a tty).
  const expected =
    1 + Number(query.stdin) + Number(query.stdout) + Number(query.stderr) + Number(query.tty && resizable);
  const known = new Set(['error', 'stdin', 'stdout', 'stderr', ...(resizable ? ['resize'] : [])]);
  const byType = new Map<string, SpdyStream>();
  let received = 0;
  let allReceived!: () => void;
  const ready = new Promise<void>((resolve) => (allReceived = resolve));

  acceptSpdyUpgrade(socket, head, protocol);
  const session = new SpdySession(socket, {
    role: 'server',
    onStream(stream) {
      const type = stream.header('streamType') ?? '';
      // An unknown type is answered but not counted, as the kubelet does.
      if (!known.has(type)) return;
      byType.set(type, stream);
      if (++received === expected) allReceived();
    },
  });
  const settled = await settlesWithin(Promise.race([ready, session.closed]), timeouts.streamCreationMs);
  if (!settled || received < expected || !session.isOpen) {
    // The kubelet gives up ("timed out waiting for client to create streams") and closes.
    session.destroy();
    return undefined;
  }
  const output = (type: string): SpdyStream | undefined => {
    const stream = byType.get(type);
    // Nothing is read from the server's output streams; what a client writes there is dropped.
    stream?.resume();
    return stream;
  };
  const errorStream = output('error');
  return {
    transport: 'spdy',
    protocol,
    stdin: query.stdin ? byType.get('stdin') : undefined,
    stdout: query.stdout ? output('stdout') : undefined,
    stderr: query.stderr ? output('stderr') : undefined,
    resize: byType.get('resize'),
    statusAsJson: protocolVersion(protocol) >= 4,
    writeError: (text) => writeTo(errorStream, text),
    async finish(immediately) {
      // Half-close every stream (FIN), then let the client close the connection once it has read
      // all: closing it under the client could cut off output still in flight.
      for (const stream of byType.values()) stream.end();
      // The kubelet closes its spdystream connection: GOAWAY, then the close once streams are done.
      session.goAway();
      if (!immediately) await settlesWithin(session.closed, timeouts.finishMs);
      session.destroy();
    },
    gone: session.closed,
  };
}

export async function openWebSocketExecStreams(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  query: ExecQuery,
  timeouts: ExecTimeouts,
): Promise<ExecStreams | undefined> {
  const offered = webSocketProtocols(req);
  const protocol = offered.length === 0 ? '' : offered.find((p) => WEBSOCKET_EXEC_PROTOCOLS.includes(p));
  if (protocol === undefined) {
    refuseWebSocket(socket);
    return undefined;
  }
  const ws = await acceptWebSocket(req, socket, head, protocol);
  if (!ws) return undefined;
  const codec = CHANNEL_CODECS[protocol];
  const channels = new ChannelConnection(ws, codec, query.stdin ? [STDIN, RESIZE] : [RESIZE]);
  const gone = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  // An empty message on the lowest channel the server writes tells the client it is connected.
  channels.send(query.stdout ? STDOUT : query.stderr ? STDERR : ERROR, Buffer.alloc(0));
  return {
    transport: 'websocket',
    protocol,
    stdin: query.stdin ? channels.input(STDIN) : undefined,
    stdout: query.stdout ? channels.output(STDOUT) : undefined,
    stderr: query.stderr ? channels.output(STDERR) : undefined,
    resize: channels.input(RESIZE),
    statusAsJson: protocolVersion(protocol) >= 4,
    writeError: (text) => new Promise((resolve) => channels.send(ERROR, Buffer.from(text), resolve)),
    async finish(immediately) {
      // As the API server's translator ends a session: stop reading, send the close frame, and
      // wait for the client's close (it reads to the end first) before dropping the connection.
      channels.endInput(STDIN);
      channels.endInput(RESIZE);
      if (ws.readyState === ws.OPEN) ws.close(1000);
      if (!immediately) await settlesWithin(gone, timeouts.finishMs);
      ws.terminate();
    },
    gone,
  };
}
