// TCP demo apps (echo, banner) and the sniffing `listen` app, over loopback.
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { looksLikeHttp, startListen } from '../../../src-pod/demo/listen';
import type { RunningApp } from '../../../src-pod/demo/serve';
import { DEFAULT_BANNER, startBanner, startEcho } from '../../../src-pod/demo/tcp';

const quiet = (): void => undefined;

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Collects what the server sends until `done` says so or the connection ends (2 s at most). */
function readUntil(socket: Socket, done: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(
      () => finish(new Error(`timed out, got ${JSON.stringify(text)}`)),
      2000,
    );
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('utf8');
      if (done(text)) finish();
    };
    const onEnd = (): void => finish();
    function finish(err?: Error): void {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      if (err) reject(err);
      else resolve(text);
    }
    socket.on('data', onData);
    socket.once('end', onEnd);
  });
}

let apps: RunningApp[] = [];
let sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(apps.map((a) => a.close()));
  apps = [];
  sockets = [];
});

async function track<T extends RunningApp>(app: Promise<T>): Promise<T> {
  const started = await app;
  apps.push(started);
  return started;
}

async function client(port: number): Promise<Socket> {
  const socket = await open(port);
  sockets.push(socket);
  return socket;
}

describe('echo', () => {
  it('echoes bytes back and answers a FIN with its own', async () => {
    const app = await track(startEcho({ ports: [0], host: '127.0.0.1', log: quiet }));
    const socket = await client(app.ports[0]);
    socket.write('hello ');
    socket.end('world');
    expect(await readUntil(socket, () => false)).toBe('hello world');
  });

  it('serves every port given', async () => {
    const app = await track(startEcho({ ports: [0, 0], host: '127.0.0.1', log: quiet }));
    for (const port of app.ports) {
      const socket = await client(port);
      socket.write(`port ${port}`);
      expect(await readUntil(socket, (t) => t.length >= `port ${port}`.length)).toBe(
        `port ${port}`,
      );
    }
  });
});

describe('banner', () => {
  it('speaks first, before the client writes anything', async () => {
    const app = await track(startBanner({ ports: [0], host: '127.0.0.1', log: quiet }));
    const socket = await client(app.ports[0]);
    expect(await readUntil(socket, (t) => t.endsWith('\r\n'))).toBe(`${DEFAULT_BANNER}\r\n`);
  });

  it('answers each line with 250 and QUIT with 221 and a close', async () => {
    const app = await track(
      startBanner({ ports: [0], host: '127.0.0.1', banner: 'HELLO', log: quiet }),
    );
    const socket = await client(app.ports[0]);
    expect(await readUntil(socket, (t) => t.endsWith('\r\n'))).toBe('HELLO\r\n');
    socket.write('EHLO lab\r\nNO');
    socket.write('OP\nQUIT\r\n');
    const rest = await readUntil(socket, () => false);
    expect(rest).toBe('250 EHLO lab\r\n250 NOOP\r\n221 bye\r\n');
  });

  it('answers a last line without a newline before closing', async () => {
    const app = await track(startBanner({ ports: [0], host: '127.0.0.1', log: quiet }));
    const socket = await client(app.ports[0]);
    await readUntil(socket, (t) => t.endsWith('\r\n'));
    socket.end('tail');
    expect(await readUntil(socket, () => false)).toBe('250 tail\r\n');
  });
});

describe('listen', () => {
  it('tells HTTP request lines from other bytes', () => {
    expect(looksLikeHttp(Buffer.from('GET / HTTP/1.1\r\n'))).toBe(true);
    expect(looksLikeHttp(Buffer.from('OPTIONS * HTTP/1.1'))).toBe(true);
    expect(looksLikeHttp(Buffer.from('GE'))).toBeUndefined();
    expect(looksLikeHttp(Buffer.from('P'))).toBeUndefined();
    expect(looksLikeHttp(Buffer.from('GARBAGE'))).toBe(false);
    expect(looksLikeHttp(Buffer.from('hello'))).toBe(false);
    expect(looksLikeHttp(Buffer.from([0x16, 0x03, 0x01]))).toBe(false);
  });

  it('answers HTTP like httpbin', async () => {
    const app = await track(
      startListen({ ports: [0], host: '127.0.0.1', name: 'stand-in', log: quiet }),
    );
    const reply = await new Promise<{ status: number; body: string; by: unknown }>(
      (resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port: app.ports[0], path: '/ip', agent: false },
          (res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += c.toString()));
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, body, by: res.headers['x-served-by'] }),
            );
          },
        );
        req.on('error', reject);
        req.end();
      },
    );
    expect(reply.status).toBe(200);
    expect(reply.by).toBe('stand-in');
    expect(JSON.parse(reply.body)).toEqual({ origin: '127.0.0.1', servedBy: 'stand-in' });
  });

  it('parses an HTTP request whose first bytes arrive on their own', async () => {
    const app = await track(
      startListen({ ports: [0], host: '127.0.0.1', name: 'split', log: quiet }),
    );
    const socket = await client(app.ports[0]);
    socket.write('GE');
    await new Promise((r) => setTimeout(r, 50));
    socket.write('T /headers HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const text = await readUntil(socket, () => false);
    expect(text.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true);
    expect(text).toContain('"servedBy": "split"');
  });

  it('echoes anything that is not HTTP', async () => {
    const app = await track(startListen({ ports: [0, 0], host: '127.0.0.1', log: quiet }));
    for (const port of app.ports) {
      const socket = await client(port);
      socket.write('GARBAGE in, ');
      expect(await readUntil(socket, (t) => t.length >= 12)).toBe('GARBAGE in, ');
      socket.end('garbage out');
      expect(await readUntil(socket, () => false)).toBe('garbage out');
    }
  });

  it('echoes a short prefix of a method when the client ends there', async () => {
    const app = await track(startListen({ ports: [0], host: '127.0.0.1', log: quiet }));
    const socket = await client(app.ports[0]);
    socket.end('PO');
    expect(await readUntil(socket, () => false)).toBe('PO');
  });
});
