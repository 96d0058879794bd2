// Protocol detection: the byte classifier and the timed sniff on a real loopback socket.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { detectProtocol, sniff } from '../../../src-pod/sidecar/listener/sniff';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

describe('detectProtocol', () => {
  it('recognises HTTP/1.x request lines as the HTTP inspector names them (ALPN http/1.1, http/1.0), also split across reads', () => {
    expect(detectProtocol(b('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))).toBe('http/1.1');
    expect(detectProtocol(b('POST /a?b=c HTTP/1.0\r\n'))).toBe('http/1.0');
    expect(detectProtocol(b('M-SEARCH * HTTP/1.1'))).toBe('http/1.1');
    for (const partial of ['G', 'GE', 'GET', 'GET ', 'GET /', 'GET / ', 'GET / HTTP/', 'OPTIO']) {
      expect(detectProtocol(b(partial)), partial).toBe('need-more');
    }
  });

  it('says TCP for anything else, and spots h2c and TLS', () => {
    expect(detectProtocol(b('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'))).toBe('h2c');
    expect(detectProtocol(b('PRI * HTTP/2'))).toBe('need-more');
    expect(detectProtocol(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]))).toBe('tls');
    expect(detectProtocol(Buffer.from([0x16]))).toBe('need-more');
    for (const other of ['get / HTTP/1.1', 'HELO x', 'GETX / HTTP/1.1', 'GET / SMTP/1.0', 'GET  / HTTP/1.1', 'QUIT\r\n', '\x00\x01', 'GET /\x01 HTTP/1.1', 'GET / HTTP/2.0']) {
      expect(detectProtocol(b(other)), JSON.stringify(other)).toBe('tcp');
    }
  });
});

describe('sniff', () => {
  let server: Server | undefined;
  const clients: Socket[] = [];
  afterEach(async () => {
    for (const c of clients) c.destroy();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  function accepted(): Promise<{ server: Socket; client: Socket }> {
    return new Promise((resolve) => {
      server = createServer((s) => resolve({ server: s, client }));
      let client: Socket;
      server.listen(0, '127.0.0.1', () => {
        const a = server?.address();
        client = connect({ host: '127.0.0.1', port: typeof a === 'object' && a ? a.port : 0 });
        clients.push(client);
      });
    });
  }

  it('returns the HTTP bytes it read once the request line is clear', async () => {
    const { server: s, client } = await accepted();
    const result = sniff(s, 0);
    client.write('GET / HT');
    await new Promise((r) => setTimeout(r, 20));
    client.write('TP/1.1\r\nHost: a\r\n\r\n');
    const r = await result;
    expect(r).toMatchObject({ protocol: 'http/1.1', timedOut: false, closed: false });
    expect(r.head.toString()).toContain('GET / HTTP/1.1');
  });

  it('gives up after the detection timeout and calls it TCP', async () => {
    const { server: s } = await accepted();
    const started = Date.now();
    const r = await sniff(s, 150);
    expect(r).toMatchObject({ protocol: 'tcp', timedOut: true, closed: false });
    expect(r.head.length).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('reports a client that leaves before deciding', async () => {
    const { server: s, client } = await accepted();
    const result = sniff(s, 0);
    client.end('GE');
    expect(await result).toMatchObject({ protocol: 'tcp', closed: true });
  });
});
