// The load generator's own HTTP/1.1 client: response framing, and connections that close or fail.
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LoadPool, ResponseReader, postRequest, type Outcome } from '../../../src-pod/demo/load-client';

function read(chunks: string[]): { responses: [number, boolean][]; reader: ResponseReader } {
  const responses: [number, boolean][] = [];
  const reader = new ResponseReader((status, close) => responses.push([status, close]));
  for (const c of chunks) reader.push(Buffer.from(c, 'latin1'));
  return { responses, reader };
}

describe('ResponseReader', () => {
  it('ends a content-length body however the bytes are split, and reads the next response after it', () => {
    const wire = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 503 Service Unavailable\r\ncontent-length: 2\r\nconnection: close\r\n\r\nno';
    for (const size of [1, 3, 7, wire.length]) {
      const parts = wire.match(new RegExp(`[\\s\\S]{1,${size}}`, 'g')) ?? [];
      expect(read(parts).responses).toEqual([[200, false], [503, true]]);
    }
  });

  it('reads chunked bodies with extensions and trailers, split anywhere', () => {
    const wire = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nx-t: 1\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n';
    for (let cut = 1; cut < wire.length; cut++) {
      const { responses } = read([wire.slice(0, cut), wire.slice(cut)]);
      expect(responses, `cut at ${cut}`).toEqual([[200, false], [204, false]]);
    }
  });

  it('skips interim 100 responses, and ends a body without framing only at close', () => {
    const { responses, reader } = read(['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\nsome', ' more']);
    expect(responses).toEqual([]);
    expect(reader.end()).toBe(true);
    expect(responses).toEqual([[200, false]]);
  });

  it('tells a response cut short from a connection closed between responses', () => {
    expect(read(['HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc']).reader.end()).toBe(false);
    expect(read(['HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc']).reader.end()).toBe(true);
  });

  it('refuses what is not HTTP/1.x', () => {
    expect(() => read(['SSH-2.0-OpenSSH_9.2\r\n\r\n'])).toThrow(/not an HTTP\/1.1 response/);
  });
});

describe('LoadPool', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  /** A server that answers every request with `answer(n)`, n counting requests over all connections. */
  async function listen(answer: (n: number) => string): Promise<{ port: number; connections: () => number }> {
    let n = 0;
    let connections = 0;
    server = createServer((s) => {
      connections++;
      let buf = '';
      s.on('data', (d) => {
        buf += d.toString('latin1');
        const req = postRequest(new URL('http://x/'), 4).length;
        while (buf.length >= req) {
          buf = buf.slice(req);
          const a = answer(n++);
          if (a === 'RESET') s.destroy();
          else s.write(a);
        }
      });
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    const address = server.address();
    return { port: typeof address === 'object' && address ? address.port : 0, connections: () => connections };
  }

  const send = (pool: LoadPool): Promise<Outcome> => new Promise((r) => pool.send(r));

  it('keeps connections alive, queues beyond them, and reconnects after Connection: close', async () => {
    const srv = await listen((n) => `HTTP/1.1 200 OK\r\nContent-Length: 1\r\n${n === 2 ? 'Connection: close\r\n' : ''}\r\nx`);
    const pool = new LoadPool('127.0.0.1', srv.port, 2, postRequest(new URL('http://x/'), 4));
    const outcomes = await Promise.all(Array.from({ length: 6 }, () => send(pool)));
    pool.close();
    expect(outcomes.map((o) => o.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(srv.connections()).toBe(3);
  });

  it('reports a connection reset as an error, and carries on', async () => {
    const srv = await listen((n) => (n === 0 ? 'RESET' : 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
    const pool = new LoadPool('127.0.0.1', srv.port, 1, postRequest(new URL('http://x/'), 4));
    expect(await send(pool)).toMatchObject({ status: 0, error: 'connection closed before a response' });
    expect(await send(pool)).toEqual({ status: 200 });
    pool.close();
  });
});
