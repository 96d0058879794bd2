// HTTP/1.1 framing, failures and flow control through the proxy: pipelining, split reads, UC/DC,
// backpressure on a large body, retries (Node's fallback: http1-fallback.test.ts).
import { createServer, request as httpRequest, type Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { baseConfig, closeServer, readUntil, waitFor, type Harness } from './helpers';
import { masked, rawClient, rawHarness, readResponses } from './wire';

const { sidecar, upstream, client, later } = rawHarness();

const ok = (body: string): string => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
/** Upstream connections Node's http client (the fallback path) holds. */
function nodeSockets(h: Harness): number {
  const agent = h.sidecar.ctx.agent;
  return [...Object.values(agent.sockets), ...Object.values(agent.freeSockets)].reduce((n, l) => n + (l?.length ?? 0), 0);
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('framing', () => {
  it('answers pipelined requests in order', async () => {
    const up = await upstream((t, s) => s.write(ok(/^\w+ (\S+)/.exec(t)?.[1] ?? '?')));
    const h = await sidecar(baseConfig(), up.port);
    const c = await client(h, up.port);
    c.write('GET /1 HTTP/1.1\r\nHost: x\r\n\r\nPOST /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhiGET /3 HTTP/1.1\r\nHost: x\r\n\r\n');
    const text = await readResponses(c, 3);
    expect([...text.matchAll(/\r\n\r\n(\/\d)/g)].map((m) => m[1])).toEqual(['/1', '/2', '/3']);
    await waitFor(() => h.logs.length === 3);
    expect(h.logs.map((l) => /"(\w+ \/\d)/.exec(l)?.[1])).toEqual(['GET /1', 'POST /2', 'GET /3']);
    // Plain requests never reach Node's http client (its agent stays empty).
    expect(nodeSockets(h)).toBe(0);
  });

  it('reads the rest of a body after an early local reply, then the request pipelined behind it', async () => {
    const h = await sidecar(baseConfig({ services: [{ name: 'a', namespace: 'default', clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80 }], endpoints: [] }] }));
    const c = await rawClient(h, h.ports.outbound, { address: '10.96.0.10', port: 80 });
    later(async () => void c.destroy());
    c.write('POST /1 HTTP/1.1\r\nHost: a.default.svc.cluster.local\r\nContent-Length: 6\r\n\r\nabc');
    expect(await readResponses(c, 1)).toMatch(/^HTTP\/1\.1 503 [\s\S]*no healthy upstream$/);
    c.write('defGET /2 HTTP/1.1\r\nHost: a.default.svc.cluster.local\r\n\r\n');
    expect(await readResponses(c, 1)).toMatch(/^HTTP\/1\.1 503 [\s\S]*no healthy upstream$/);
    await waitFor(() => h.logs.length === 2);
    // Logged when the response is done: the body bytes read by then.
    expect(h.logs[0]).toContain('"POST /1 HTTP/1.1" 503 UH no_healthy_upstream - "-" 3 19 ');
    expect(h.logs[1]).toContain('"GET /2 HTTP/1.1" 503 UH ');
  });

  it('reuses upstream connections, except after Connection: close or a keep-alive hint of a second', async () => {
    const replies = ['HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', 'HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1\r\nContent-Length: 0\r\n\r\n', 'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'];
    const up = await upstream((t, s) => s.write(replies[Number(/^GET \/(\d)/.exec(t)?.[1])]));
    const h = await sidecar(baseConfig(), up.port);
    const c = await client(h, up.port);
    for (const path of ['/0', '/0', '/1', '/0', '/2', '/0']) {
      c.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
      await readResponses(c, 1);
    }
    expect(up.got.map((g) => [...g.matchAll(/^GET \/(\d)/gm)].map((m) => m[1]).join(''))).toEqual(['001', '02', '0']);
  });

  it('takes a head split across reads and a body in many small writes', async () => {
    const up = await upstream((t, s) => s.write(ok(t.slice(t.indexOf('\r\n\r\n') + 4))));
    const h = await sidecar(baseConfig(), up.port);
    const c = await client(h, up.port);
    const body = 'abcdefghijklmnopqrstuvwxyz'.repeat(4);
    const req = `POST /split HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\nUser-Agent: slow\r\n\r\n${body}`;
    for (let i = 0; i < req.length; i += 7) {
      c.write(req.slice(i, i + 7));
      await pause(2);
    }
    expect((await readResponses(c, 1)).endsWith(`\r\n\r\n${body}`)).toBe(true);
    await waitFor(() => h.logs.length === 1);
    expect(h.logs[0]).toContain(`"POST /split HTTP/1.1" 200 - via_upstream - "-" ${body.length} ${body.length} `);
  });

  it('takes a chunked request split at every byte', async () => {
    const up = await upstream((t, s) => s.write(ok(String(t.length))));
    const h = await sidecar(baseConfig(), up.port);
    const c = await client(h, up.port);
    const req = 'PUT / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1;a=b\r\n!\r\n0\r\nx: y\r\n\r\n';
    for (const ch of req) {
      c.write(ch);
      await pause(1);
    }
    await readResponses(c, 1);
    // Re-chunked as it came in (byte by byte here), trailers dropped.
    const sent = up.got[0].slice(up.got[0].indexOf('\r\n\r\n') + 4);
    expect(sent).toMatch(/^([0-9a-f]+\r\n[^\r]+\r\n)+0\r\n\r\n$/);
    expect(sent.replace(/([0-9a-f]+)\r\n([^\r]*)\r\n/g, '$2')).toBe('hello!');
    await waitFor(() => h.logs.length === 1);
    expect(h.logs[0]).toContain('"PUT / HTTP/1.1" 200 - via_upstream - "-" 6 ');
  });
});

describe('failures', () => {
  it('flags UC (and DC) when the upstream closes mid-body, and keeps the bytes already sent', async () => {
    const up = await upstream((_t, s) => {
      s.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc');
      setTimeout(() => s.destroy(), 30);
    });
    const h = await sidecar(baseConfig(), up.port);
    const c = await client(h, up.port);
    c.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect((await readUntil(c, () => false)).endsWith('\r\n\r\nabc')).toBe(true);
    await waitFor(() => h.logs.length === 1);
    expect(h.logs[0]).toContain('"GET / HTTP/1.1" 200 UC,DC via_upstream - "-" 0 3 ');
  });

  it('flags DC when the client goes away mid-request, and counts what it sent', async () => {
    const up = await upstream(() => undefined);
    const h = await sidecar(baseConfig(), up.port);
    const c = await client(h, up.port);
    c.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc');
    await waitFor(() => up.got.length === 1 && up.got[0].endsWith('abc'));
    c.destroy();
    await waitFor(() => h.logs.length === 1);
    expect(h.logs[0]).toContain('"POST / HTTP/1.1" 0 DC downstream_remote_disconnect - "-" 3 0 ');
    const cs = h.sidecar.ctx.stats.cluster('PassthroughCluster');
    await waitFor(() => cs.upstream_cx_destroy === 1);
    expect(cs.upstream_rq_active).toBe(0);
    expect(h.sidecar.ctx.stats.httpPrefix('outbound_PassthroughFilterChain').downstream_rq_active).toBe(0);
  });

  it('flags DC when the client half-closes before the response (Node closes too)', async () => {
    const up = await upstream((_t, s) => setTimeout(() => s.write(ok('late')), 50));
    const h = await sidecar(baseConfig(), up.port);
    const c = await client(h, up.port);
    c.end('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(await readUntil(c, () => false)).toBe('');
    await waitFor(() => h.logs.length === 1);
    expect(h.logs[0]).toContain('"GET / HTTP/1.1" 0 DC downstream_remote_disconnect ');
  });

  it('answers 503 UC when the upstream closes before a response; 502 UPE for garbage or a head over 16 KB (protocol error)', async () => {
    const up = await upstream((t, s) => {
      if (t.startsWith('GET /close')) s.destroy();
      // A server-first greeting, no blank line after it: a protocol error at once.
      else if (t.startsWith('GET /greet')) s.write('220 ready\r\n');
      else if (t.startsWith('GET /big')) s.write(`HTTP/1.1 200 OK\r\nX: ${'y'.repeat(20_000)}\r\nContent-Length: 0\r\n\r\n`);
      else s.write('garbage\r\n\r\n');
    });
    const h = await sidecar(baseConfig(), up.port);
    const reply = (reason: string): string => `upstream connect error or disconnect/reset before headers. reset reason: ${reason}`;
    const expected = (status: string, body: string): string =>
      `HTTP/1.1 ${status}\r\ncontent-length: ${body.length}\r\ncontent-type: text/plain\r\ndate: <date>\r\nserver: envoy\r\n\r\n${body}`;
    for (const [path, status, reason] of [
      ['/close', '503 Service Unavailable', 'connection termination'],
      ['/garbage', '502 Bad Gateway', 'protocol error'],
      ['/big', '502 Bad Gateway', 'protocol error'],
      ['/greet', '502 Bad Gateway', 'protocol error'],
    ]) {
      const c = await client(h, up.port);
      c.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
      expect(masked(await readResponses(c, 1))).toBe(expected(status, reply(reason)));
    }
    await waitFor(() => h.logs.length === 4);
    expect(h.logs[3]).toContain('"GET /greet HTTP/1.1" 502 UPE upstream_reset_before_response_started{protocol_error} ');
    expect(h.logs[0]).toContain('"GET /close HTTP/1.1" 503 UC upstream_reset_before_response_started{connection_termination} - "-" 0 95 ');
    expect(h.logs[1]).toContain('"GET /garbage HTTP/1.1" 502 UPE upstream_reset_before_response_started{protocol_error} - "-" 0 87 ');
    expect(h.logs[2]).toContain('"GET /big HTTP/1.1" 502 UPE upstream_reset_before_response_started{protocol_error} - "-" 0 87 ');
  });

  it('flags UPE when the upstream sends a body it cannot frame (a bad chunk) after the head', async () => {
    const up = await upstream((_t, s) => s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n'));
    const h = await sidecar(baseConfig(), up.port);
    const c = await client(h, up.port);
    c.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await readUntil(c, () => false);
    await waitFor(() => h.logs.length === 1);
    expect(h.logs[0]).toMatch(/"GET \/ HTTP\/1\.1" 200 (DC,)?UPE via_upstream /);
  });

  it('retries a stale pooled connection once without counting an attempt', async () => {
    const up = await upstream((_t, s, conn) => {
      // The first connection answers once, then resets on the next request.
      if (conn === 0 && (s as Socket & { served?: boolean }).served) s.resetAndDestroy();
      else {
        (s as Socket & { served?: boolean }).served = true;
        s.write(ok(`c${conn}`));
      }
    });
    const h = await sidecar(baseConfig({ pod: { name: 'p', namespace: 'default', ip: '127.0.0.1' }, inboundPorts: [{ port: up.port, name: 'http' }] }));
    const a = await client(h, up.port, 'inbound');
    a.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(await readResponses(a, 1)).toContain('\r\n\r\nc0');
    const b = await client(h, up.port, 'inbound');
    b.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(await readResponses(b, 1)).toContain('\r\n\r\nc1');
    await waitFor(() => h.logs.length === 2);
    expect(h.logs[1]).toContain('"GET / HTTP/1.1" 200 - via_upstream ');
    expect(h.sidecar.ctx.stats.cluster(`inbound|${up.port}||`).upstream_rq_retry).toBe(0);
  });

  it('retries a 503 with the buffered chunked body on the next endpoint', async () => {
    const bad = await upstream((_t, s) => s.write('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy'));
    const good = await upstream((t, s) => s.write(ok(t.slice(t.indexOf('\r\n\r\n') + 4))));
    const h = await sidecar(
      baseConfig({
        services: [
          {
            name: 'svc',
            namespace: 'default',
            clusterIP: '10.96.0.10',
            ports: [{ name: 'http', port: 80 }],
            endpoints: [bad.port, good.port].map((p) => ({ address: '127.0.0.1', ports: { '80': p } })),
          },
        ],
      }),
    );
    const c = await rawClient(h, h.ports.outbound, { address: '10.96.0.10', port: 80 });
    later(async () => void c.destroy());
    c.write('POST / HTTP/1.1\r\nHost: svc\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n');
    expect(await readResponses(c, 1)).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n$/);
    expect(good.got[0]).toContain('x-envoy-attempt-count: 2\r\n');
    await waitFor(() => h.logs.length === 1);
    expect(h.logs[0]).toContain('"POST / HTTP/1.1" 200 - via_upstream - "-" 5 ');
  });
});

describe('flow control', () => {
  it('carries a 1 MB body both ways through a slow upstream without buffering it all', async () => {
    const size = 1024 * 1024;
    let upstreamServer: HttpServer | undefined;
    const port = await new Promise<number>((resolve) => {
      upstreamServer = createServer((req, res) => {
        // Reads slowly: the proxy has to hold the client back.
        const chunks: Buffer[] = [];
        req.on('data', (d: Buffer) => {
          chunks.push(d);
          req.pause();
          setTimeout(() => req.resume(), 1);
        });
        req.on('end', () => {
          const all = Buffer.concat(chunks);
          res.writeHead(200, { 'content-length': all.length });
          res.end(all);
        });
      }).listen(0, '127.0.0.1', () => {
        const a = upstreamServer?.address();
        resolve(typeof a === 'object' && a ? a.port : 0);
      });
    });
    later(() => closeServer(upstreamServer as HttpServer));
    const h = await sidecar(baseConfig(), port);
    const body = Buffer.alloc(size);
    for (let i = 0; i < size; i++) body[i] = i % 251;
    let held = 0;
    const got = await new Promise<Buffer>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: h.ports.outbound, localAddress: h.dsts.source({ address: '127.0.0.1', port }), method: 'POST', path: '/big', agent: false, headers: { host: 'x' } }, (res) => {
        // A slow reader too: what the proxy holds for it stays bounded.
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => {
          chunks.push(d);
          for (const s of h.sidecar.ctx.downstreams) held = Math.max(held, s.writableLength);
          res.pause();
          setTimeout(() => res.resume(), 1);
        });
        res.on('end', () => resolve(Buffer.concat(chunks)));
      });
      req.on('error', reject);
      req.end(body);
    });
    expect(got.equals(body)).toBe(true);
    expect(held).toBeLessThan(size / 2);
    await waitFor(() => h.logs.length === 1);
    expect(h.logs[0]).toContain(`"POST /big HTTP/1.1" 200 - via_upstream - "-" ${size} ${size} `);
  });
});
