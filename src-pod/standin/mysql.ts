// MySQL/MariaDB stand-in: the server-first Handshake v10 greeting, then OK to any login, and simple answers.
// Wire format: MySQL's client/server protocol documentation (packets, HandshakeV10, HandshakeResponse41,
// OK/ERR/EOF packets, text result sets without CLIENT_DEPRECATE_EOF).
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { peerOf, readChunks, type ServeContext } from './context';

// Capability flags (include/mysql_com.h).
export const CAP = {
  LONG_PASSWORD: 0x1,
  FOUND_ROWS: 0x2,
  LONG_FLAG: 0x4,
  CONNECT_WITH_DB: 0x8,
  NO_SCHEMA: 0x10,
  COMPRESS: 0x20,
  ODBC: 0x40,
  LOCAL_FILES: 0x80,
  IGNORE_SPACE: 0x100,
  PROTOCOL_41: 0x200,
  INTERACTIVE: 0x400,
  SSL: 0x800,
  IGNORE_SIGPIPE: 0x1000,
  TRANSACTIONS: 0x2000,
  RESERVED: 0x4000,
  SECURE_CONNECTION: 0x8000,
  MULTI_STATEMENTS: 1 << 16,
  MULTI_RESULTS: 1 << 17,
  PS_MULTI_RESULTS: 1 << 18,
  PLUGIN_AUTH: 1 << 19,
  CONNECT_ATTRS: 1 << 20,
  PLUGIN_AUTH_LENENC_CLIENT_DATA: 1 << 21,
  CAN_HANDLE_EXPIRED_PASSWORDS: 1 << 22,
} as const;

/** What the stand-in offers: no TLS and no compression (it has neither), classic EOF packets. */
export const SERVER_CAPABILITIES =
  Object.values(CAP).reduce((a, b) => a | b, 0) & ~CAP.SSL & ~CAP.COMPRESS;

const SERVER_STATUS_AUTOCOMMIT = 0x0002;

export interface MysqlFlavour {
  /** As the server announces it, e.g. `8.0.36` or `5.5.5-10.11.6-MariaDB`. */
  serverVersion: string;
  authPlugin: 'caching_sha2_password' | 'mysql_native_password';
  /** Collation id of the greeting: 255 utf8mb4_0900_ai_ci (MySQL 8), 8 latin1_swedish_ci (older). */
  charset: number;
  /** `@@version_comment`. */
  comment: string;
}

/** The flavour a server name and version announce; MariaDB keeps the `5.5.5-` prefix before 11.0. */
export function mysqlFlavour(name: string, version: string | undefined): MysqlFlavour {
  const maria = /maria/i.test(name);
  const v = version ?? (maria ? '10.11.6' : '8.0.36');
  const major = Number(/^(\d+)/.exec(v)?.[1] ?? '8');
  if (maria) {
    return {
      serverVersion: major < 11 ? `5.5.5-${v}-MariaDB` : `${v}-MariaDB`,
      authPlugin: 'mysql_native_password',
      charset: major >= 11 ? 45 : 8,
      comment: 'mariadb.org binary distribution',
    };
  }
  return {
    serverVersion: v,
    authPlugin: major >= 8 ? 'caching_sha2_password' : 'mysql_native_password',
    charset: major >= 8 ? 255 : 8,
    comment: 'MySQL Community Server - GPL',
  };
}

/** One packet: 3-byte little-endian payload length, sequence id, payload. */
export function packet(seq: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUIntLE(payload.length, 0, 3);
  head[3] = seq & 0xff;
  return Buffer.concat([head, payload]);
}

/** Splits complete packets off the front of `buf`. */
export function takePackets(buf: Buffer): { packets: { seq: number; payload: Buffer }[]; rest: Buffer } {
  const packets: { seq: number; payload: Buffer }[] = [];
  let at = 0;
  while (buf.length - at >= 4) {
    const len = buf.readUIntLE(at, 3);
    if (buf.length - at - 4 < len) break;
    packets.push({ seq: buf[at + 3], payload: buf.subarray(at + 4, at + 4 + len) });
    at += 4 + len;
  }
  return { packets, rest: buf.subarray(at) };
}

const nulString = (s: string): Buffer => Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])]);
const u16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
};
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
};

/** Length-encoded integer (values below 2^24 are all the stand-in writes). */
export function lenencInt(n: number): Buffer {
  if (n < 251) return Buffer.from([n]);
  if (n < 0x10000) return Buffer.concat([Buffer.from([0xfc]), u16(n)]);
  const b = Buffer.alloc(4);
  b[0] = 0xfd;
  b.writeUIntLE(n, 1, 3);
  return b;
}

const lenencString = (s: string): Buffer => {
  const bytes = Buffer.from(s, 'utf8');
  return Buffer.concat([lenencInt(bytes.length), bytes]);
};

/** Protocol::HandshakeV10, as packet 0. `scramble` is the 20 bytes of auth-plugin-data. */
export function handshakeV10(f: MysqlFlavour, connectionId: number, scramble: Buffer): Buffer {
  const caps = SERVER_CAPABILITIES;
  const payload = Buffer.concat([
    Buffer.from([10]),
    nulString(f.serverVersion),
    u32(connectionId),
    scramble.subarray(0, 8),
    Buffer.from([0]),
    u16(caps & 0xffff),
    Buffer.from([f.charset]),
    u16(SERVER_STATUS_AUTOCOMMIT),
    u16(caps >>> 16),
    Buffer.from([scramble.length + 1]),
    Buffer.alloc(10),
    scramble.subarray(8),
    Buffer.from([0]),
    nulString(f.authPlugin),
  ]);
  return packet(0, payload);
}

export interface HandshakeResponse {
  capabilities: number;
  user: string;
  database?: string;
  authPlugin?: string;
  authResponseLength: number;
  /** True for an SSLRequest: the client wants TLS before its real response. */
  sslRequest: boolean;
}

function readNul(buf: Buffer, at: number): [string, number] {
  const end = buf.indexOf(0, at);
  const stop = end === -1 ? buf.length : end;
  return [buf.toString('utf8', at, stop), stop + 1];
}

/** Protocol::HandshakeResponse41 (or the 32-byte SSLRequest before it). */
export function parseHandshakeResponse(p: Buffer): HandshakeResponse {
  const capabilities = p.readUInt32LE(0);
  if (p.length === 32) return { capabilities, user: '', authResponseLength: 0, sslRequest: true };
  let at = 32;
  const [user, afterUser] = readNul(p, at);
  at = afterUser;
  let authLen: number;
  if (capabilities & CAP.PLUGIN_AUTH_LENENC_CLIENT_DATA) {
    const first = p[at];
    authLen = first < 251 ? first : first === 0xfc ? p.readUInt16LE(at + 1) : p.readUIntLE(at + 1, 3);
    at += first < 251 ? 1 : first === 0xfc ? 3 : 4;
  } else {
    authLen = p[at];
    at += 1;
  }
  at += authLen;
  const out: HandshakeResponse = { capabilities, user, authResponseLength: authLen, sslRequest: false };
  if (capabilities & CAP.CONNECT_WITH_DB && at < p.length) {
    const [db, next] = readNul(p, at);
    if (db) out.database = db;
    at = next;
  }
  if (capabilities & CAP.PLUGIN_AUTH && at < p.length) out.authPlugin = readNul(p, at)[0];
  return out;
}

export function okPacket(seq: number): Buffer {
  return packet(seq, Buffer.concat([Buffer.from([0, 0, 0]), u16(SERVER_STATUS_AUTOCOMMIT), u16(0)]));
}

export function errPacket(seq: number, code: number, sqlState: string, message: string): Buffer {
  return packet(seq, Buffer.concat([Buffer.from([0xff]), u16(code), Buffer.from(`#${sqlState}${message}`, 'utf8')]));
}

const eofPacket = (seq: number): Buffer =>
  packet(seq, Buffer.concat([Buffer.from([0xfe]), u16(0), u16(SERVER_STATUS_AUTOCOMMIT)]));

/** A text result set with one column and one row. */
export function resultSet(startSeq: number, column: string, value: string, charset: number): Buffer[] {
  let seq = startSeq;
  const def = Buffer.concat([
    lenencString('def'),
    lenencString(''),
    lenencString(''),
    lenencString(''),
    lenencString(column),
    lenencString(''),
    Buffer.from([0x0c]),
    u16(charset),
    u32(Math.max(1, Buffer.byteLength(value)) * 4),
    Buffer.from([0xfd]), // MYSQL_TYPE_VAR_STRING
    u16(0),
    Buffer.from([0x1f]), // decimals: not a fixed-point column
    u16(0),
  ]);
  return [
    packet(seq++, lenencInt(1)),
    packet(seq++, def),
    eofPacket(seq++),
    packet(seq++, lenencString(value)),
    eofPacket(seq),
  ];
}

/** The answer to a COM_QUERY: a one-row result for SELECTs of constants, OK for statements, else ERR. */
export function answerQuery(sql: string, f: MysqlFlavour, name: string): { column: string; value: string } | 'ok' | string {
  const q = sql.trim().replace(/;+\s*$/, '');
  const select = /^select\s+(.+?)(\s+limit\s+\d+)?$/is.exec(q);
  if (!select) return 'ok';
  const expr = select[1].trim();
  const lower = expr.toLowerCase();
  if (lower === '@@version_comment') return { column: expr, value: f.comment };
  if (lower === '@@version' || lower === 'version()') return { column: expr, value: f.serverVersion.replace(/^5\.5\.5-/, '') };
  if (/^-?\d+$/.test(expr)) return { column: expr, value: expr };
  const quoted = /^'([^']*)'$|^"([^"]*)"$/.exec(expr);
  if (quoted) return { column: quoted[1] ?? quoted[2], value: quoted[1] ?? quoted[2] };
  return `the sidecar-lab stand-in for ${name} answers SELECT of constants only`;
}

const COM_QUIT = 0x01;
const COM_INIT_DB = 0x02;
const COM_QUERY = 0x03;
const COM_PING = 0x0e;

let nextConnectionId = 8;

/** Serves one client: greeting first, any login accepted, then COM_QUERY/PING/INIT_DB/QUIT. */
export function mysqlConnection(socket: Socket, ctx: ServeContext): void {
  const f = mysqlFlavour(ctx.spec.name, ctx.spec.version);
  const peer = peerOf(socket);
  const id = nextConnectionId++;
  // Server speaks first: a proxy that waits for the client's bytes stalls here.
  socket.write(handshakeV10(f, id, Buffer.from(randomBytes(20).map((b) => (b % 94) + 33))));
  ctx.log(`mysql ${peer}: sent the handshake greeting (server ${f.serverVersion}, ${f.authPlugin})`);
  let buf: Buffer = Buffer.alloc(0);
  let authed = false;
  readChunks(socket, (chunk) => {
    const { packets, rest } = takePackets(Buffer.concat([buf, chunk]));
    buf = rest;
    for (const { seq, payload } of packets) {
      if (!authed) {
        const hello = parseHandshakeResponse(payload);
        if (hello.sslRequest) {
          ctx.log(`mysql ${peer}: the client asked for TLS, which this stand-in does not offer`);
          socket.destroy();
          return;
        }
        authed = true;
        const db = hello.database ? ` to database ${hello.database}` : '';
        ctx.log(`mysql ${peer}: login of ${hello.user || "''"}${db} accepted (the stand-in checks no password)`);
        // caching_sha2_password's fast path: "fast auth success" (0x01 0x03) before OK.
        if (hello.authPlugin === 'caching_sha2_password' && hello.authResponseLength > 0) {
          socket.write(packet(seq + 1, Buffer.from([0x01, 0x03])));
          socket.write(okPacket(seq + 2));
        } else socket.write(okPacket(seq + 1));
        continue;
      }
      const command = payload[0];
      if (command === COM_QUIT) {
        socket.end();
        return;
      }
      if (command === COM_PING || command === COM_INIT_DB) socket.write(okPacket(1));
      else if (command === COM_QUERY) {
        const sql = payload.toString('utf8', 1);
        const answer = answerQuery(sql, f, ctx.spec.name);
        ctx.log(`mysql ${peer}: query ${JSON.stringify(sql.slice(0, 120))}`);
        if (answer === 'ok') socket.write(okPacket(1));
        else if (typeof answer === 'string') socket.write(errPacket(1, 1105, 'HY000', answer));
        else socket.write(Buffer.concat(resultSet(1, answer.column, answer.value, f.charset)));
      } else socket.write(errPacket(1, 1047, '08S01', 'Unknown command'));
    }
  });
  socket.once('close', () => ctx.log(`mysql ${peer}: closed`));
}
