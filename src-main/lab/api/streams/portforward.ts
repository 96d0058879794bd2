// pods/portforward: the client's connections to pod ports, over SPDY stream pairs (kubectl ≤1.29),
// SPDY tunnelled through a WebSocket (kubectl ≥1.30) or the kubelet's WebSocket channels, each
// handed to the lab's `connect` and copied both ways as the container runtime's forwarder does.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  SPDY_TUNNELING_PREFIX,
  acceptSpdyUpgrade,
  acceptWebSocket,
  isWebSocketRequest,
  negotiateProtocols,
  negotiateStreamProtocol,
  refuseWebSocket,
  spdyUpgradeProblem,
  webSocketProtocols,
  writeHttpError,
} from './handshake';
import { forwardPort, joinDuplex, type ForwardOptions } from './port-forwarder';
import { SpdySession, type SpdyStream } from './spdy-session';
import { CHANNEL_CODECS, ChannelConnection } from './ws-channels';
import { webSocketDuplex } from './ws-duplex';

export interface PortForwardOptions extends ForwardOptions {
  /** How long the client may take to open both streams of a connection (Kubernetes: 30 s). */
  streamCreationTimeoutMs?: number;
  /** Tears every forwarded connection down (for example when the lab goes down). */
  signal?: AbortSignal;
}

/** The kubelet's SPDY port-forward protocol (portforward.k8s.io, version 1). */
export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
/** The kubelet's WebSocket port-forward subprotocols ("" is a client that asks for none). */
export const WEBSOCKET_PORT_FORWARD_PROTOCOLS = ['v4.channel.k8s.io', 'v4.base64.channel.k8s.io', ''];

/**
 * Serves one pods/portforward upgrade until the client closes it. Never throws: a request it cannot
 * serve is answered with the HTTP error Kubernetes gives.
 */
export async function handlePortForward(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  options: PortForwardOptions,
): Promise<void> {
  socket.on('error', () => {});
  if (!isWebSocketRequest(req)) return serveSpdy(req, socket, head, options);
  const offered = webSocketProtocols(req);
  // The API server tunnels SPDY when the client offers any "SPDY/3.1+…k8s.io" subprotocol.
  const tunnelled = offered
    .filter((p) => p.startsWith(SPDY_TUNNELING_PREFIX) && p.endsWith('.k8s.io'))
    .map((p) => p.slice(SPDY_TUNNELING_PREFIX.length));
  if (tunnelled.length > 0) return serveTunnel(req, socket, head, tunnelled, options);
  return serveChannels(req, socket, head, offered, options);
}

/** The SPDY session both plain SPDY and the WebSocket tunnel carry. */
function runSpdyPortForward(transport: Duplex, options: PortForwardOptions): Promise<void> {
  const pairs = new Map<string, { error?: SpdyStream; data?: SpdyStream; timer?: NodeJS.Timeout }>();
  const timeoutMs = options.streamCreationTimeoutMs ?? 30_000;
  const session = new SpdySession(transport, {
    role: 'server',
    acceptStream: validateStreamHeaders,
    onStream(stream) {
      const id = requestId(stream);
      let pair = pairs.get(id);
      if (!pair) {
        const created: { error?: SpdyStream; data?: SpdyStream; timer?: NodeJS.Timeout } = {};
        created.timer = setTimeout(() => {
          created.error?.end(`(conn=${transport.constructor.name}, request=${id}) timed out waiting for streams`);
          pairs.delete(id);
        }, timeoutMs);
        pairs.set(id, created);
        pair = created;
      }
      const type = stream.header('streamType') as 'error' | 'data';
      if (pair[type]) {
        // The kubelet reports the clash on the pair's error stream and keeps the first stream.
        pair.error?.write(`error processing stream for request ${id}: ${type} stream already assigned`);
        return;
      }
      pair[type] = stream;
      if (!pair.error || !pair.data) return;
      clearTimeout(pair.timer);
      pairs.delete(id);
      const { error, data } = pair;
      const port = Number(data.header('port'));
      // Nothing the client writes on the error stream means anything.
      error.resume();
      void forwardPort(port, data, options).then((message) => {
        data.end();
        if (message) error.end(message);
        else error.end();
      });
    },
  });
  const stop = (): void => session.destroy();
  options.signal?.addEventListener('abort', stop, { once: true });
  return session.closed.then(() => {
    options.signal?.removeEventListener('abort', stop);
    for (const pair of pairs.values()) clearTimeout(pair.timer);
  });
}

/** portforward's httpStreamReceived: a stream without a valid port and type is refused (reset). */
function validateStreamHeaders(stream: SpdyStream): void {
  const port = stream.header('port') ?? '';
  if (port === '') throw new Error('"port" header is required');
  if (!/^\d+$/.test(port) || Number(port) > 0xffff) throw new Error(`unable to parse "${port}" as a port`);
  if (Number(port) < 1) throw new Error(`port "${port}" must be > 0`);
  const type = stream.header('streamType') ?? '';
  if (type !== 'error' && type !== 'data') throw new Error(`invalid stream type "${type}"`);
}

/** Old clients send no requestID: the kubelet pairs their streams by id (error n, data n+2). */
function requestId(stream: SpdyStream): string {
  const id = stream.header('requestID');
  if (id) return id;
  return String(stream.header('streamType') === 'error' ? stream.id : stream.id - 2);
}

async function serveSpdy(req: IncomingMessage, socket: Duplex, head: Buffer, options: PortForwardOptions): Promise<void> {
  const negotiation = negotiateStreamProtocol(req, [PORT_FORWARD_PROTOCOL]);
  if (!negotiation.ok) return writeHttpError(socket, negotiation.code, negotiation.message, negotiation.headers);
  const problem = spdyUpgradeProblem(req);
  if (problem) return writeHttpError(socket, 400, problem);
  acceptSpdyUpgrade(socket, head, negotiation.protocol);
  await runSpdyPortForward(socket, options);
}

async function serveTunnel(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  spdyProtocols: string[],
  options: PortForwardOptions,
): Promise<void> {
  const negotiation = negotiateProtocols(spdyProtocols, [PORT_FORWARD_PROTOCOL]);
  if (!negotiation.ok) {
    // The kubelet's refusal, which the API server's tunnelling handler passes through.
    return writeHttpError(socket, negotiation.code, negotiation.message, negotiation.headers);
  }
  const protocol = negotiation.protocol;
  const ws = await acceptWebSocket(req, socket, head, SPDY_TUNNELING_PREFIX + protocol);
  if (!ws) return;
  await runSpdyPortForward(webSocketDuplex(ws), options);
}

/** The kubelet's `ports` query parameter (NewV4Options): required, comma-separated, 1–65535. */
export function parsePortsQuery(url: string | undefined): number[] | { error: string } {
  const values = new URL(url ?? '/', 'http://localhost').searchParams.getAll('ports');
  if (values.length === 0) return { error: 'query parameter "ports" is required' };
  const ports: number[] = [];
  for (const value of values) {
    if (value === '') return { error: 'query parameter "ports" cannot be empty' };
    for (const part of value.split(',')) {
      if (!/^\d+$/.test(part) || Number(part) > 0xffff) {
        return { error: `unable to parse "${value}" as a port: strconv.ParseUint: parsing "${part}": invalid syntax` };
      }
      if (Number(part) < 1) return { error: `port "${value}" must be > 0` };
      ports.push(Number(part));
    }
  }
  return ports;
}

async function serveChannels(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  offered: string[],
  options: PortForwardOptions,
): Promise<void> {
  const ports = parsePortsQuery(req.url);
  if ('error' in ports) return writeHttpError(socket, 400, ports.error);
  const protocol = offered.length === 0 ? '' : offered.find((p) => p !== '' && WEBSOCKET_PORT_FORWARD_PROTOCOLS.includes(p));
  if (protocol === undefined) return refuseWebSocket(socket);
  const ws = await acceptWebSocket(req, socket, head, protocol);
  if (!ws) return;
  // Channel 2i carries port i's data both ways, channel 2i+1 its errors from the server.
  const channels = new ChannelConnection(ws, CHANNEL_CODECS[protocol], ports.map((_p, i) => 2 * i));
  const stop = (): void => ws.terminate();
  options.signal?.addEventListener('abort', stop, { once: true });
  await Promise.all(
    ports.map(async (port, i) => {
      const data = channels.output(2 * i);
      const error = channels.output(2 * i + 1);
      // Each channel opens with its port, a little-endian uint16, so the client can tell them apart.
      const portBytes = Buffer.alloc(2);
      portBytes.writeUInt16LE(port);
      data.write(portBytes);
      error.write(portBytes);
      const message = await forwardPort(port, joinDuplex(channels.input(2 * i), data), options);
      if (message) await new Promise<void>((resolve) => error.write(message, () => resolve()));
    }),
  );
  options.signal?.removeEventListener('abort', stop);
  if (ws.readyState === ws.OPEN) ws.close(1000);
}
