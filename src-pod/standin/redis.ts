// Redis stand-in: RESP2 (and HELLO 3's map) over a small in-memory keyspace; protected mode and AUTH as Redis 7.
// Wire format: the Redis serialization protocol specification (arrays of bulk strings, inline commands).
import type { Socket } from 'node:net';
import { isLoopbackPeer, peerOf, readChunks, type ServeContext } from './context';

export const simple = (s: string): string => `+${s}\r\n`;
export const error = (s: string): string => `-${s}\r\n`;
export const integer = (n: number): string => `:${n}\r\n`;
export const bulk = (s: string | null): string =>
  s === null ? '$-1\r\n' : `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
export const array = (items: string[]): string => `*${items.length}\r\n${items.join('')}`;

/** What Redis 7 sends a non-loopback client while protected mode is on and no password is set. */
export const PROTECTED_MODE_DENIED =
  '-DENIED Redis is running in protected mode because protected mode is enabled and no password is set ' +
  'for the default user. In this mode connections are only accepted from the loopback interface. If you ' +
  'want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just ' +
  "disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface " +
  'by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not ' +
  'publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) ' +
  'Alternatively you can just disable the protected mode by editing the Redis configuration file, and ' +
  "setting the protected mode option to 'no', and then restarting the server. 3) If you started the " +
  "server manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an " +
  'authentication password for the default user. NOTE: You only need to do one of the above things in ' +
  'order for the server to start accepting connections from the outside.\r\n';

/**
 * Takes complete commands off the front of `buf`: RESP arrays of bulk strings, or inline commands
 * (words on one line). `error` is a protocol error Redis would answer before closing.
 */
export function takeCommands(buf: Buffer): { commands: string[][]; rest: Buffer; error?: string } {
  const commands: string[][] = [];
  let at = 0;
  const line = (from: number): [string, number] | undefined => {
    const end = buf.indexOf('\r\n', from);
    return end === -1 ? undefined : [buf.toString('utf8', from, end), end + 2];
  };
  while (at < buf.length) {
    if (buf[at] !== 0x2a /* '*' */) {
      const l = line(at);
      if (!l) break;
      const words = l[0].trim().split(/\s+/).filter(Boolean);
      if (words.length) commands.push(words);
      at = l[1];
      continue;
    }
    const head = line(at);
    if (!head) break;
    const count = Number(head[0].slice(1));
    if (!Number.isInteger(count) || count > 1024 * 1024)
      return { commands, rest: Buffer.alloc(0), error: 'ERR Protocol error: invalid multibulk length' };
    let p = head[1];
    const args: string[] = [];
    let complete = true;
    for (let i = 0; i < count; i++) {
      const len = line(p);
      if (!len) {
        complete = false;
        break;
      }
      if (!len[0].startsWith('$'))
        return { commands, rest: Buffer.alloc(0), error: `ERR Protocol error: expected '$', got '${len[0][0] ?? ' '}'` };
      const n = Number(len[0].slice(1));
      if (buf.length < len[1] + n + 2) {
        complete = false;
        break;
      }
      args.push(buf.toString('utf8', len[1], len[1] + n));
      p = len[1] + n + 2;
    }
    if (!complete) break;
    if (args.length) commands.push(args);
    at = p;
  }
  return { commands, rest: buf.subarray(at) };
}

export interface RedisState {
  version: string;
  password?: string;
  store: Map<string, string>;
}

/** One command's reply; `close` after QUIT. `authed` tells whether AUTH is still owed. */
export function execute(cmd: string[], state: RedisState, session: { authed: boolean; resp: 2 | 3 }): { reply: string; close?: boolean } {
  const [rawName, ...args] = cmd;
  const name = rawName.toUpperCase();
  const wrongArgs = (): { reply: string } => ({ reply: error(`ERR wrong number of arguments for '${rawName.toLowerCase()}' command`) });
  if (!session.authed && !['AUTH', 'HELLO', 'QUIT'].includes(name))
    return { reply: error('NOAUTH Authentication required.') };
  switch (name) {
    case 'PING':
      return { reply: args.length ? bulk(args[0]) : simple('PONG') };
    case 'ECHO':
      return args.length === 1 ? { reply: bulk(args[0]) } : wrongArgs();
    case 'QUIT':
      return { reply: simple('OK'), close: true };
    case 'AUTH': {
      if (args.length < 1) return wrongArgs();
      if (state.password === undefined)
        return { reply: error('ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?') };
      if (args[args.length - 1] !== state.password)
        return { reply: error('WRONGPASS invalid username-password pair or user is disabled.') };
      session.authed = true;
      return { reply: simple('OK') };
    }
    case 'HELLO': {
      const proto = args[0] === undefined ? session.resp : Number(args[0]);
      if (proto !== 2 && proto !== 3) return { reply: error('NOPROTO unsupported protocol version') };
      const authAt = args.findIndex((a) => a.toUpperCase() === 'AUTH');
      if (authAt !== -1 && state.password !== undefined && args[authAt + 2] === state.password) session.authed = true;
      if (!session.authed) return { reply: error('NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time') };
      session.resp = proto;
      const fields = ['server', bulk('redis'), 'version', bulk(state.version), 'proto', integer(proto), 'id', integer(1), 'mode', bulk('standalone'), 'role', bulk('master'), 'modules', array([])];
      const items = fields.map((f, i) => (i % 2 === 0 ? bulk(f) : f));
      return { reply: proto === 3 ? `%${items.length / 2}\r\n${items.join('')}` : array(items) };
    }
    case 'SELECT':
      return { reply: simple('OK') };
    case 'CLIENT':
      return { reply: (args[0] ?? '').toUpperCase() === 'ID' ? integer(1) : simple('OK') };
    case 'COMMAND':
    case 'CONFIG':
      return { reply: array([]) };
    case 'INFO':
      return { reply: bulk(`# Server\r\nredis_version:${state.version}\r\nredis_mode:standalone\r\nrole:master\r\n`) };
    case 'DBSIZE':
      return { reply: integer(state.store.size) };
    case 'FLUSHALL':
    case 'FLUSHDB':
      state.store.clear();
      return { reply: simple('OK') };
    case 'SET':
      if (args.length < 2) return wrongArgs();
      state.store.set(args[0], args[1]);
      return { reply: simple('OK') };
    case 'GET':
      return args.length === 1 ? { reply: bulk(state.store.get(args[0]) ?? null) } : wrongArgs();
    case 'DEL':
    case 'EXISTS': {
      if (args.length < 1) return wrongArgs();
      const n = args.filter((k) => state.store.has(k)).length;
      if (name === 'DEL') for (const k of args) state.store.delete(k);
      return { reply: integer(n) };
    }
    case 'INCR': {
      if (args.length !== 1) return wrongArgs();
      const now = state.store.get(args[0]) ?? '0';
      if (!/^-?\d+$/.test(now)) return { reply: error('ERR value is not an integer or out of range') };
      const next = String(Number(now) + 1);
      state.store.set(args[0], next);
      return { reply: integer(Number(next)) };
    }
    case 'KEYS':
      return { reply: array([...state.store.keys()].map(bulk)) };
    default: {
      const shown = args.slice(0, 3).map((a) => `'${a}' `).join('');
      return { reply: error(`ERR unknown command '${rawName}', with args beginning with: ${shown}`) };
    }
  }
}

const stores = new Map<string, Map<string, string>>();

/** Serves one client; every connection to this process shares one keyspace, as a server's clients do. */
export function redisConnection(socket: Socket, ctx: ServeContext): void {
  const peer = peerOf(socket);
  const password = ctx.spec.password;
  if (ctx.spec.protectedMode && password === undefined && !isLoopbackPeer(socket)) {
    ctx.log(`redis ${peer}: refused: protected mode, and the client is not on the loopback interface`);
    socket.on('error', () => undefined);
    socket.end(PROTECTED_MODE_DENIED);
    return;
  }
  const store = stores.get(ctx.spec.name) ?? new Map<string, string>();
  stores.set(ctx.spec.name, store);
  const state: RedisState = { version: ctx.spec.version ?? '7.2.4', password, store };
  const session = { authed: password === undefined, resp: 2 as 2 | 3 };
  let buf: Buffer = Buffer.alloc(0);
  let count = 0;
  readChunks(socket, (chunk) => {
    const taken = takeCommands(Buffer.concat([buf, chunk]));
    buf = taken.rest;
    for (const cmd of taken.commands) {
      count++;
      const { reply, close } = execute(cmd, state, session);
      if (close) {
        socket.end(reply);
        return;
      }
      socket.write(reply);
    }
    if (taken.error) socket.end(error(taken.error));
  });
  socket.once('close', () => ctx.log(`redis ${peer}: closed after ${count} commands`));
}
