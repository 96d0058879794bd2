// Line-based stand-ins: SMTP and FTP (the server greets first with 220), and memcached's text protocol.
import { hostname } from 'node:os';
import type { Socket } from 'node:net';
import { peerOf, readChunks, type ServeContext } from './context';

// A line longer than this is answered and dropped (SMTP's own limit is 1000 octets).
const MAX_LINE = 64 * 1024;

type LineReply = (line: string) => { reply?: string; close?: boolean; raw?: number };

/** Reads CRLF/LF lines; `raw` in a reply asks for that many bytes next (memcached's data blocks). */
function serveLines(socket: Socket, greeting: string | undefined, onLine: LineReply, onRaw?: (data: Buffer) => string): void {
  let pending = Buffer.alloc(0);
  let rawWanted = 0;
  if (greeting !== undefined) socket.write(greeting);
  readChunks(socket, (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      if (socket.writableEnded) return;
      if (rawWanted > 0) {
        if (pending.length < rawWanted) return;
        const data = pending.subarray(0, rawWanted - 2);
        pending = pending.subarray(rawWanted);
        rawWanted = 0;
        if (onRaw) socket.write(onRaw(data));
        continue;
      }
      const nl = pending.indexOf(0x0a);
      if (nl === -1) {
        if (pending.length > MAX_LINE) pending = Buffer.alloc(0);
        return;
      }
      const line = pending.toString('utf8', 0, nl).replace(/\r$/, '');
      pending = pending.subarray(nl + 1);
      const out = onLine(line);
      if (out.raw !== undefined) rawWanted = out.raw + 2;
      if (out.close) socket.end(out.reply ?? '');
      else if (out.reply) socket.write(out.reply);
    }
  });
}

/** SMTP as Postfix answers it: 220 greeting, EHLO capabilities, the envelope, DATA, QUIT. */
export function smtpConnection(socket: Socket, ctx: ServeContext): void {
  const host = hostname();
  const peer = peerOf(socket);
  let inData = false;
  ctx.log(`smtp ${peer}: sent the 220 greeting`);
  serveLines(socket, `220 ${host} ESMTP ${ctx.spec.name}\r\n`, (line) => {
    if (inData) {
      if (line !== '.') return {};
      inData = false;
      return { reply: '250 2.0.0 Ok: queued\r\n' };
    }
    const verb = line.split(' ')[0].toUpperCase();
    switch (verb) {
      case 'EHLO':
        return { reply: `250-${host}\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n` };
      case 'HELO':
        return { reply: `250 ${host}\r\n` };
      case 'MAIL':
        return { reply: '250 2.1.0 Ok\r\n' };
      case 'RCPT':
        return { reply: '250 2.1.5 Ok\r\n' };
      case 'DATA':
        inData = true;
        return { reply: '354 End data with <CR><LF>.<CR><LF>\r\n' };
      case 'RSET':
      case 'NOOP':
        return { reply: '250 2.0.0 Ok\r\n' };
      case 'QUIT':
        return { reply: '221 2.0.0 Bye\r\n', close: true };
      default:
        return { reply: '502 5.5.2 Error: command not recognized\r\n' };
    }
  });
  socket.once('close', () => ctx.log(`smtp ${peer}: closed`));
}

/** FTP's control connection as vsftpd answers it (no data connections: the lab has no files to send). */
export function ftpConnection(socket: Socket, ctx: ServeContext): void {
  const peer = peerOf(socket);
  ctx.log(`ftp ${peer}: sent the 220 greeting`);
  serveLines(socket, `220 (${ctx.spec.name})\r\n`, (line) => {
    const verb = line.split(' ')[0].toUpperCase();
    switch (verb) {
      case 'USER':
        return { reply: '331 Please specify the password.\r\n' };
      case 'PASS':
        return { reply: '230 Login successful.\r\n' };
      case 'SYST':
        return { reply: '215 UNIX Type: L8\r\n' };
      case 'PWD':
        return { reply: '257 "/" is the current directory\r\n' };
      case 'TYPE':
        return { reply: '200 Switching to Binary mode.\r\n' };
      case 'NOOP':
        return { reply: '200 NOOP ok.\r\n' };
      case 'FEAT':
        return { reply: '211-Features:\r\n PASV\r\n UTF8\r\n211 End\r\n' };
      case 'QUIT':
        return { reply: '221 Goodbye.\r\n', close: true };
      case 'PASV':
      case 'EPSV':
      case 'PORT':
      case 'LIST':
      case 'RETR':
      case 'STOR':
        return { reply: '425 The sidecar-lab stand-in opens no data connections.\r\n' };
      default:
        return { reply: '500 Unknown command.\r\n' };
    }
  });
  socket.once('close', () => ctx.log(`ftp ${peer}: closed`));
}

const memStores = new Map<string, Map<string, { flags: string; data: Buffer }>>();

/** memcached's text protocol: version, get/gets, set, delete, stats, quit (binary protocol is closed). */
export function memcachedConnection(socket: Socket, ctx: ServeContext): void {
  const peer = peerOf(socket);
  const store = memStores.get(ctx.spec.name) ?? new Map<string, { flags: string; data: Buffer }>();
  memStores.set(ctx.spec.name, store);
  const version = ctx.spec.version ?? '1.6.22';
  let setting: { key: string; flags: string; noreply: boolean } | undefined;
  socket.once('data', (first: Buffer) => {
    // 0x80 opens a binary-protocol request; memcached 1.6 deprecates it, the stand-in closes.
    if (first[0] === 0x80) socket.destroy();
  });
  serveLines(
    socket,
    undefined,
    (line) => {
      const [verb = '', ...args] = line.trim().split(/\s+/);
      switch (verb.toLowerCase()) {
        case 'version':
          return { reply: `VERSION ${version}\r\n` };
        case 'get':
        case 'gets': {
          const parts = args.flatMap((k) => {
            const v = store.get(k);
            return v ? [`VALUE ${k} ${v.flags} ${v.data.length}\r\n`, `${v.data.toString('latin1')}\r\n`] : [];
          });
          return { reply: `${parts.join('')}END\r\n` };
        }
        case 'set': {
          const [key, flags, , bytes, noreply] = args;
          if (key === undefined || !/^\d+$/.test(bytes ?? '')) return { reply: 'CLIENT_ERROR bad command line format\r\n' };
          setting = { key, flags: flags ?? '0', noreply: noreply === 'noreply' };
          return { raw: Number(bytes) };
        }
        case 'delete':
          if (args[0] === undefined) return { reply: 'ERROR\r\n' };
          return { reply: store.delete(args[0]) ? 'DELETED\r\n' : 'NOT_FOUND\r\n' };
        case 'stats':
          return { reply: `STAT pid 1\r\nSTAT version ${version}\r\nSTAT curr_items ${store.size}\r\nEND\r\n` };
        case 'quit':
          return { close: true };
        default:
          return { reply: 'ERROR\r\n' };
      }
    },
    (data) => {
      if (!setting) return '';
      store.set(setting.key, { flags: setting.flags, data: Buffer.from(data) });
      const quiet = setting.noreply;
      setting = undefined;
      return quiet ? '' : 'STORED\r\n';
    },
  );
  socket.once('close', () => ctx.log(`memcached ${peer}: closed`));
}
