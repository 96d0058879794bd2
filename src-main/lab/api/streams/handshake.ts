// Telling a streaming request's protocol apart, answering its upgrade, and refusing it with the
// status codes and bodies Kubernetes sends (httpstream.Handshake, spdy's UpgradeResponse, wsstream),
// written straight to the socket Node hands to an 'upgrade' listener.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { statusJson, type Status } from './status';

export const HEADER_PROTOCOL_VERSION = 'X-Stream-Protocol-Version';
export const HEADER_ACCEPTED_PROTOCOL_VERSIONS = 'X-Accepted-Stream-Protocol-Versions';
/** The WebSocket subprotocol prefix of SPDY tunnelled through a WebSocket (KEP-4006). */
export const SPDY_TUNNELING_PREFIX = 'SPDY/3.1+';

function headerValues(req: IncomingMessage, name: string): string[] {
  const lower = name.toLowerCase();
  const values: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i].toLowerCase() === lower) values.push(req.rawHeaders[i + 1]);
  }
  return values;
}

/** Comma-separated values across repeated header lines, trimmed, empties dropped. */
export function listHeader(req: IncomingMessage, name: string): string[] {
  return headerValues(req, name)
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
}

/** wsstream.IsWebSocketRequest. */
export function isWebSocketRequest(req: IncomingMessage): boolean {
  const upgrade = headerValues(req, 'upgrade')[0] ?? '';
  const connection = (headerValues(req, 'connection')[0] ?? '').toLowerCase();
  return upgrade.toLowerCase() === 'websocket' && /(^|.*,\s*)upgrade($|\s*,)/.test(connection);
}

/** The subprotocols a WebSocket client offers, in its order of preference. */
export function webSocketProtocols(req: IncomingMessage): string[] {
  return listHeader(req, 'sec-websocket-protocol');
}

/** Go's `%v` of a []string: `[a b c]`. */
export function goList(values: string[]): string {
  return `[${values.join(' ')}]`;
}

/** Go's `%#v` of the request's http.Header (canonical keys, sorted; Host is not a header in Go). */
function goHeaderMap(req: IncomingMessage): string {
  const map = new Map<string, string[]>();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const key = req.rawHeaders[i]
      .toLowerCase()
      .replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
    if (key === 'Host') continue;
    map.set(key, [...(map.get(key) ?? []), req.rawHeaders[i + 1]]);
  }
  const entries = [...map.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${JSON.stringify(k)}:[]string{${v.map((x) => JSON.stringify(x)).join(', ')}}`);
  return `http.Header{${entries.join(', ')}}`;
}

export type Negotiation =
  | { ok: true; protocol: string }
  | { ok: false; code: number; message: string; headers: Array<[string, string]> };

/**
 * httpstream.Handshake: the first protocol the client lists that the server speaks. Without the
 * header the upgrade is refused (400); without a common protocol, 403 with the server's list.
 */
export function negotiateStreamProtocol(req: IncomingMessage, serverProtocols: string[]): Negotiation {
  return negotiateProtocols(listHeader(req, HEADER_PROTOCOL_VERSION), serverProtocols);
}

/** The same choice made from the client's list itself (a tunnel carries it as WebSocket subprotocols). */
export function negotiateProtocols(client: string[], serverProtocols: string[]): Negotiation {
  if (client.length === 0) {
    return { ok: false, code: 400, message: `unable to upgrade: ${HEADER_PROTOCOL_VERSION} is required`, headers: [] };
  }
  const protocol = client.find((p) => serverProtocols.includes(p));
  if (protocol) return { ok: true, protocol };
  return {
    ok: false,
    code: 403,
    message: `unable to upgrade: unable to negotiate protocol: client supports ${goList(client)}, server accepts ${goList(serverProtocols)}`,
    headers: serverProtocols.map((p) => [HEADER_ACCEPTED_PROTOCOL_VERSIONS, p]),
  };
}

/** spdy's UpgradeResponse refuses a request whose Connection/Upgrade headers do not ask for SPDY/3.1. */
export function spdyUpgradeProblem(req: IncomingMessage): string | undefined {
  const connection = (headerValues(req, 'connection')[0] ?? '').toLowerCase();
  const upgrade = (headerValues(req, 'upgrade')[0] ?? '').toLowerCase();
  if (connection.includes('upgrade') && upgrade.includes('spdy/3.1')) return undefined;
  return `unable to upgrade: missing upgrade headers in request: ${goHeaderMap(req)}`;
}

function writeResponse(
  socket: Duplex,
  code: number,
  headers: Array<[string, string]>,
  body: string,
): void {
  const lines = [`HTTP/1.1 ${code} ${STATUS_CODES[code] ?? ''}`];
  for (const [name, value] of headers) lines.push(`${name}: ${value}`);
  lines.push(`Date: ${new Date().toUTCString()}`, `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close');
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

/** Go's http.Error on the raw socket: a text/plain body ending in a newline. */
export function writeHttpError(socket: Duplex, code: number, message: string, headers: Array<[string, string]> = []): void {
  writeResponse(
    socket,
    code,
    [['Content-Type', 'text/plain; charset=utf-8'], ['X-Content-Type-Options', 'nosniff'], ...headers],
    `${message}\n`,
  );
}

/** A Status answer from the API server itself (for example 400 "Upgrade request required"). */
export function writeStatusResponse(socket: Duplex, status: Status): void {
  writeResponse(socket, status.code ?? 500, [['Content-Type', 'application/json']], statusJson(status));
}

/** x/net/websocket's answer to a handshake its protocol check refused: 403 and no body. */
export function refuseWebSocket(socket: Duplex): void {
  writeResponse(socket, 403, [], '');
}

/** The 101 that hands the connection over to SPDY, with the negotiated protocol version. */
export function acceptSpdyUpgrade(socket: Duplex, head: Buffer, protocol: string): void {
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\n' +
      'Connection: Upgrade\r\n' +
      'Upgrade: SPDY/3.1\r\n' +
      `${HEADER_PROTOCOL_VERSION}: ${protocol}\r\n` +
      `Date: ${new Date().toUTCString()}\r\n\r\n`,
  );
  // Bytes the client sent right behind its request belong to the SPDY session.
  if (head.length > 0) socket.unshift(head);
}

/**
 * Completes the WebSocket handshake, selecting `protocol` ("" for none). Undefined when `ws` found
 * the request malformed: it has then answered 400 itself.
 */
export function acceptWebSocket(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  protocol: string,
): Promise<WebSocket | undefined> {
  // The protocol was chosen from the client's list already. `ws` would parse that list again and
  // refuse "SPDY/3.1+portforward.k8s.io" ('/' and '+' are not token characters, but Go's
  // WebSocket libraries accept them and kubectl sends them), so it is shown one plain token and
  // told which protocol to answer with.
  if (req.headers['sec-websocket-protocol'] !== undefined) req.headers['sec-websocket-protocol'] = 'chosen';
  const server = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: 64 * 1024 * 1024,
    handleProtocols: () => (protocol === '' ? false : protocol),
  });
  return new Promise((resolve) => {
    socket.once('close', () => resolve(undefined));
    server.handleUpgrade(req, socket, head, (ws) => resolve(ws));
  });
}
