// Postgres stand-in: protocol 3.0 start-up as a real server answers it (SSLRequest → 'N', then trust,
// cleartext, md5 or SCRAM-SHA-256, ParameterStatus, BackendKeyData, ReadyForQuery) and simple queries.
// Wire format: PostgreSQL's "Frontend/Backend Protocol" chapter (message formats, start-up, SASL).
import { createHash, randomBytes, randomInt } from 'node:crypto';
import type { Socket } from 'node:net';
import { peerOf, readChunks, type ServeContext } from './context';
import { scramServer, type ScramServer } from './scram';

export const SSL_REQUEST_CODE = 80877103;
export const GSSENC_REQUEST_CODE = 80877104;
export const CANCEL_REQUEST_CODE = 80877102;
export const PROTOCOL_3 = 196608;

/** A backend message: type byte, int32 length (itself included), body. */
export function message(type: string, body: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

const cstr = (s: string): Buffer => Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])]);
const int32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const int16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};

export const authenticationOk = (): Buffer => message('R', int32(0));
export const authenticationCleartext = (): Buffer => message('R', int32(3));
export const authenticationMd5 = (salt: Buffer): Buffer => message('R', Buffer.concat([int32(5), salt]));
export const authenticationSasl = (): Buffer =>
  message('R', Buffer.concat([int32(10), cstr('SCRAM-SHA-256'), Buffer.from([0])]));
export const readyForQuery = (): Buffer => message('Z', Buffer.from('I', 'latin1'));
export const parameterStatus = (name: string, value: string): Buffer =>
  message('S', Buffer.concat([cstr(name), cstr(value)]));

/** ErrorResponse with the fields a real server always sends: severity (twice), SQLSTATE, message. */
export function errorResponse(severity: 'ERROR' | 'FATAL', code: string, text: string): Buffer {
  const fields = [`S${severity}`, `V${severity}`, `C${code}`, `M${text}`].map(cstr);
  return message('E', Buffer.concat([...fields, Buffer.from([0])]));
}

/** The start-up packet's parameters (user, database, application_name, …), or its special request code. */
export function parseStartup(body: Buffer): { code: number; params: Record<string, string> } {
  const code = body.readInt32BE(0);
  const params: Record<string, string> = {};
  if (code !== PROTOCOL_3) return { code, params };
  const parts = body.toString('utf8', 4).split('\0');
  for (let i = 0; i + 1 < parts.length && parts[i] !== ''; i += 2) params[parts[i]] = parts[i + 1];
  return { code, params };
}

/** What follows a successful login, as a real 14+ server sends it. */
export function afterLogin(version: string, user: string, appName: string): Buffer[] {
  const major = Number(/^(\d+)/.exec(version)?.[1] ?? '16');
  const params: [string, string][] = [
    ['application_name', appName],
    ['client_encoding', 'UTF8'],
    ['DateStyle', 'ISO, MDY'],
    ...(major >= 14 ? ([['default_transaction_read_only', 'off'], ['in_hot_standby', 'off']] as [string, string][]) : []),
    ['integer_datetimes', 'on'],
    ['IntervalStyle', 'postgres'],
    ['is_superuser', 'on'],
    ['server_encoding', 'UTF8'],
    ['server_version', version],
    ['session_authorization', user],
    ['standard_conforming_strings', 'on'],
    ['TimeZone', 'Etc/UTC'],
  ];
  return [
    authenticationOk(),
    ...params.map(([k, v]) => parameterStatus(k, v)),
    message('K', Buffer.concat([int32(randomInt(100, 32768)), int32(randomInt(0, 2 ** 31 - 1))])),
    readyForQuery(),
  ];
}

/** RowDescription + DataRow + CommandComplete for a one-column text result. */
export function textResult(column: string, value: string): Buffer[] {
  const field = Buffer.concat([cstr(column), int32(0), int16(0), int32(25), int16(-1), int32(-1), int16(0)]);
  const bytes = Buffer.from(value, 'utf8');
  return [
    message('T', Buffer.concat([int16(1), field])),
    message('D', Buffer.concat([int16(1), int32(bytes.length), bytes])),
    message('C', cstr('SELECT 1')),
  ];
}

/** A simple Query's answer: constants and version() are selected, other statements completed. */
export function answerQuery(sql: string, version: string, name: string): Buffer[] {
  const q = sql.trim().replace(/;+\s*$/, '');
  if (q === '') return [message('I'), readyForQuery()];
  const select = /^select\s+(.+)$/is.exec(q);
  if (!select) return [message('C', cstr(q.split(/\s+/)[0].toUpperCase())), readyForQuery()];
  const expr = select[1].trim();
  let answer: [string, string] | undefined;
  if (/^version\(\)$/i.test(expr)) answer = ['version', `PostgreSQL ${version} on x86_64-pc-linux-gnu`];
  else if (/^-?\d+$/.test(expr)) answer = ['?column?', expr];
  else if (/^'([^']*)'$/.test(expr)) answer = ['?column?', expr.slice(1, -1)];
  if (answer) return [...textResult(...answer), readyForQuery()];
  return [
    errorResponse('ERROR', '0A000', `the sidecar-lab stand-in for ${name} answers SELECT of constants only`),
    readyForQuery(),
  ];
}

/** md5 auth as the server checks it: "md5" + md5(md5(password + user) + salt). */
export function md5Password(password: string, user: string, salt: Buffer): string {
  const inner = createHash('md5').update(password + user).digest('hex');
  return `md5${createHash('md5').update(Buffer.concat([Buffer.from(inner), salt])).digest('hex')}`;
}

type Phase = 'startup' | 'password' | 'sasl-initial' | 'sasl-final' | 'ready';

/** Serves one client through start-up, authentication and simple queries. */
export function postgresConnection(socket: Socket, ctx: ServeContext): void {
  const version = ctx.spec.version ?? '16.2';
  const peer = peerOf(socket);
  // Without the password there is nothing to check a hash or a SCRAM proof against.
  const auth = ctx.spec.password === undefined && ctx.spec.postgresAuth !== 'trust' ? 'password' : ctx.spec.postgresAuth;
  let phase: Phase = 'startup';
  let buf = Buffer.alloc(0);
  let user = '';
  let appName = '';
  const salt = randomBytes(4);
  let scram: ScramServer | undefined;
  const fail = (text: string): void => {
    ctx.log(`postgres ${peer}: ${text}`);
    socket.end(errorResponse('FATAL', '28P01', text));
  };
  const login = (): void => {
    ctx.log(`postgres ${peer}: login of ${user} accepted (${auth})`);
    socket.write(Buffer.concat(afterLogin(version, user, appName)));
    phase = 'ready';
  };
  const onStartup = (body: Buffer): void => {
    const { code, params } = parseStartup(body);
    if (code === SSL_REQUEST_CODE || code === GSSENC_REQUEST_CODE) {
      socket.write('N');
      return;
    }
    if (code === CANCEL_REQUEST_CODE) {
      socket.end();
      return;
    }
    if (code !== PROTOCOL_3) {
      socket.end(errorResponse('FATAL', '0A000', `unsupported frontend protocol ${code >> 16}.${code & 0xffff}: server supports 3.0 to 3.0`));
      return;
    }
    user = params.user ?? '';
    appName = params.application_name ?? '';
    ctx.log(`postgres ${peer}: start-up of ${user} for database ${params.database ?? user}`);
    if (auth === 'trust') return login();
    if (auth === 'password') socket.write(authenticationCleartext());
    else if (auth === 'md5') socket.write(authenticationMd5(salt));
    else socket.write(authenticationSasl());
    phase = auth === 'scram-sha-256' ? 'sasl-initial' : 'password';
  };
  const onMessage = (type: string, body: Buffer): void => {
    if (type === 'p' && phase === 'password') {
      const given = body.toString('utf8').replace(/\0$/, '');
      const want = ctx.spec.password;
      if (want !== undefined && given !== (auth === 'md5' ? md5Password(want, user, salt) : want))
        return fail(`password authentication failed for user "${user}"`);
      return login();
    }
    if (type === 'p' && phase === 'sasl-initial') {
      const mechanism = body.toString('utf8', 0, body.indexOf(0));
      const data = body.subarray(body.indexOf(0) + 5).toString('utf8');
      if (mechanism !== 'SCRAM-SHA-256') return fail(`unsupported SASL mechanism ${mechanism}`);
      scram = scramServer(ctx.spec.password ?? '');
      socket.write(message('R', Buffer.concat([int32(11), Buffer.from(scram.first(data))])));
      phase = 'sasl-final';
      return;
    }
    if (type === 'p' && phase === 'sasl-final' && scram) {
      const final = scram.final(body.toString('utf8'));
      if (!final) return fail(`password authentication failed for user "${user}"`);
      socket.write(message('R', Buffer.concat([int32(12), Buffer.from(final)])));
      return login();
    }
    if (phase !== 'ready') return fail('unexpected message during authentication');
    if (type === 'X') socket.end();
    else if (type === 'Q') {
      const sql = body.toString('utf8').replace(/\0$/, '');
      ctx.log(`postgres ${peer}: query ${JSON.stringify(sql.slice(0, 120))}`);
      socket.write(Buffer.concat(answerQuery(sql, version, ctx.spec.name)));
    } else if (type === 'S') socket.write(readyForQuery());
    // Extended-protocol messages get one error; the client then sends Sync.
    else if (type === 'P') socket.write(errorResponse('ERROR', '0A000', 'the stand-in answers simple queries only'));
  };
  readChunks(socket, (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      if (phase === 'startup') {
        if (buf.length < 4 || buf.length < buf.readInt32BE(0)) return;
        const len = buf.readInt32BE(0);
        const body = buf.subarray(4, len);
        buf = buf.subarray(len);
        onStartup(body);
      } else {
        if (buf.length < 5 || buf.length < 1 + buf.readInt32BE(1)) return;
        const len = buf.readInt32BE(1);
        const type = buf.toString('latin1', 0, 1);
        const body = buf.subarray(5, 1 + len);
        buf = buf.subarray(1 + len);
        onMessage(type, body);
      }
      if (socket.destroyed || socket.writableEnded) return;
    }
  });
  socket.once('close', () => ctx.log(`postgres ${peer}: closed`));
}
