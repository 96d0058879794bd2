// The lean echo server over loopback: echoes bodies, keeps alive, answers pipelined requests in order, honours ?size and ?status.
import { connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEchoServer, readHead } from '../../../src-pod/perf/echo-server';

let server: Server;
let port: number;
beforeAll(async () => {
  server = createEchoServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** Sends raw bytes (in pieces) and reads until `until` matches what came back, or the socket closes. */
async function exchange(pieces: string[], until: (text: string) => boolean): Promise<string> {
  const socket: Socket = connect(port, '127.0.0.1');
  let got = '';
  const done = new Promise<string>((resolve) => {
    socket.on('data', (d) => {
      got += d.toString('latin1');
      if (until(got)) resolve(got);
    });
    socket.on('close', () => resolve(got));
  });
  for (const p of pieces) {
    socket.write(p);
    await new Promise((r) => setTimeout(r, 5));
  }
  const text = await done;
  socket.destroy();
  return text;
}

describe('readHead', () => {
  it('reads the framing and the echo parameters', () => {
    expect(readHead('POST /echo?size=10&status=503 HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue')).toEqual({
      close: false, length: 5, status: 503, size: 10, expectContinue: true,
    });
    expect(readHead('GET / HTTP/1.0')).toMatchObject({ close: true, length: 0 });
    expect(readHead('GET / HTTP/1.0\r\nConnection: keep-alive')).toMatchObject({ close: false });
  });

  it('refuses what it cannot frame', () => {
    expect(readHead('nonsense')).toEqual({ error: 400 });
    expect(readHead('POST / HTTP/1.1\r\nContent-Length: ten')).toEqual({ error: 400 });
    expect(readHead('POST / HTTP/1.1\r\nTransfer-Encoding: chunked')).toEqual({ error: 411 });
    expect(readHead('POST / HTTP/1.1\r\nContent-Length: 99999999999')).toEqual({ error: 413 });
  });
});

describe('echo server', () => {
  it('echoes a body split across packets, then a pipelined pair in order, on one connection', async () => {
    const text = await exchange(
      ['POST /a HTTP/1.1\r\nHost: x\r\nContent-Le', 'ngth: 5\r\n\r\nhel', 'lo', 'POST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nonePOST /c HTTP/1.1\r\nContent-Length: 3\r\n\r\ntwo'],
      (t) => t.endsWith('two'),
    );
    const bodies = text.split('HTTP/1.1 200 OK').slice(1).map((r) => r.split('\r\n\r\n')[1]);
    expect(bodies).toEqual(['hello', 'one', 'two']);
    expect(text).toContain('Content-Length: 5\r\n');
  });

  it('answers ?size with that many bytes and ?status with that status', async () => {
    const text = await exchange(['GET /?size=7&status=503 HTTP/1.1\r\n\r\n'], (t) => /\r\n\r\nx{7}$/.test(t));
    expect(text.startsWith('HTTP/1.1 503 Service Unavailable\r\n')).toBe(true);
    expect(text.endsWith('\r\n\r\nxxxxxxx')).toBe(true);
  });

  it('sends 100 Continue before the body, and closes on Connection: close or a chunked request', async () => {
    const cont = await exchange(['POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n'], (t) => t.includes('100 Continue'));
    expect(cont).toBe('HTTP/1.1 100 Continue\r\n\r\n');
    const closed = await exchange(['GET / HTTP/1.1\r\nConnection: close\r\n\r\n'], () => false);
    expect(closed).toContain('Connection: close\r\n');
    const chunked = await exchange(['POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n'], () => false);
    expect(chunked.startsWith('HTTP/1.1 411 Length Required')).toBe(true);
  });
});
