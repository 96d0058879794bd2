// HTTP/1.1 requests the fast path hands to Node's http server, and the route timeout.
import { describe, expect, it } from 'vitest';
import { baseConfig, closeServer, listenHttp, readUntil, waitFor, type Harness } from './helpers';
import { masked, rawHarness, readResponses } from './wire';

const { sidecar, upstream, client, later } = rawHarness();

const ok = (body: string): string => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`;

/** Upstream connections Node's http client (the fallback path) holds. */
function nodeSockets(h: Harness): number {
  const agent = h.sidecar.ctx.agent;
  return [...Object.values(agent.sockets), ...Object.values(agent.freeSockets)].reduce((n, l) => n + (l?.length ?? 0), 0);
}

describe('requests Node handles', () => {
  it('Expect: 100-continue gets Node interim 100 and the request goes through', async () => {
    const up = await listenHttp((_req, res, body) => res.end(`got ${body}`));
    later(() => closeServer(up.server));
    const h = await sidecar(baseConfig(), up.port);
    const c = await client(h, up.port);
    c.write('POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n');
    expect(await readUntil(c, (t) => t.includes('\r\n\r\n'))).toBe('HTTP/1.1 100 Continue\r\n\r\n');
    c.write('hi');
    expect(await readResponses(c, 1)).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*got hi$/);
    expect(nodeSockets(h)).toBe(1);
  });

  it("an upstream answer Node cannot parse is Envoy's protocol error: 502 UPE", async () => {
    const up = await upstream((_t, s) => s.write('garbage\r\n\r\n'));
    const h = await sidecar(baseConfig(), up.port);
    const c = await client(h, up.port);
    c.write('POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n');
    await readUntil(c, (t) => t.includes('\r\n\r\n'));
    c.write('hi');
    const reply = 'upstream connect error or disconnect/reset before headers. reset reason: protocol error';
    expect(await readResponses(c, 1)).toMatch(new RegExp(`^HTTP/1\\.1 502 Bad Gateway\\r\\n[\\s\\S]*\\r\\n\\r\\n${reply}$`));
    await waitFor(() => h.logs.length === 1);
    expect(h.logs[0]).toContain('"POST / HTTP/1.1" 502 UPE upstream_reset_before_response_started{protocol_error} ');
  });

  it('an Upgrade request after a plain one becomes a tunnel', async () => {
    const up = await upstream((t, s) => {
      if (!t.includes('Upgrade: websocket')) return void s.write(ok('plain'));
      s.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
      s.on('data', (d: Buffer) => s.write(`echo:${d.toString()}`));
      s.on('end', () => s.end());
    });
    const h = await sidecar(baseConfig(), up.port);
    const c = await client(h, up.port);
    c.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await readResponses(c, 1);
    c.write('GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    expect(await readUntil(c, (t) => t.includes('\r\n\r\n'))).toContain('HTTP/1.1 101 Switching Protocols\r\n');
    c.write('ping');
    expect(await readUntil(c, (t) => t.includes('echo:ping'))).toContain('echo:ping');
    c.end();
    await waitFor(() => h.logs.length === 2);
    expect(h.logs[1]).toContain('"GET /ws HTTP/1.1" 101 ');
  });

  it('HTTP/1.0 is not HTTP to Istio (no http/1.0 ALPN): the TCP byte pipe; a malformed head 400 DPE', async () => {
    const up = await upstream((_t, s) => s.end(ok('x')));
    const h = await sidecar(baseConfig(), up.port);
    const old = await client(h, up.port);
    old.write('GET / HTTP/1.0\r\nHost: x\r\n\r\n');
    // Istio's plaintext HTTP ALPNs are http/1.1 and h2c (HTTP/1.0 only with ISTIO_ENABLE_HTTP10): the default chain pipes bytes.
    expect(await readUntil(old, () => false)).toBe('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx');
    const bad = await client(h, up.port);
    bad.write('GET / HTTP/1.1\r\nHost: x\r\nBad Header: x\r\n\r\n');
    expect(await readUntil(bad, () => false)).toBe('HTTP/1.1 400 Bad Request\r\ncontent-length: 11\r\ncontent-type: text/plain\r\nserver: envoy\r\nconnection: close\r\n\r\nBad Request');
    await waitFor(() => h.logs.length === 2).catch((e: Error) => { throw new Error(`${e.message}: ${h.logs.join('\n')}`); });
    expect(h.logs.find((l) => l.includes('"- - -"'))).toMatch(/"- - -" 0 - - - "-" \d+ \d+ \d+ - "-" "-" "-" "-" "127\.0\.0\.1:\d+" PassthroughCluster /);
    expect(h.logs.find((l) => l.includes('DPE'))).toContain('"- - HTTP/1.1" 400 DPE http1.codec_error ');
  });

  it("keeps a client's x-forwarded-proto on Node's path too, adding one only when absent", async () => {
    const up = await upstream((_t, s) => s.write(ok('x')));
    const h = await sidecar(baseConfig(), up.port);
    const c = await client(h, up.port);
    // Expect: 100-continue is one of the requests the fast path leaves to Node.
    c.write('GET / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 0\r\nConnection: close\r\nX-Forwarded-Proto: https\r\n\r\n');
    await readUntil(c, () => false);
    const d = await client(h, up.port);
    d.write('GET / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    await readUntil(d, () => false);
    // Both went on one pooled upstream connection: split it into its requests.
    const [first, second] = up.got.join('').split(/(?=GET \/ HTTP)/);
    // Node's path writes names as Envoy's codec does: lowercased.
    expect(first).toMatch(/\r\nx-forwarded-proto: https\r\n/);
    expect(first).not.toMatch(/x-forwarded-proto: http\r\n/);
    expect(second).toMatch(/\r\nx-forwarded-proto: http\r\n/);
  });

  it('a malformed chunk mid-body: 400 DPE from the parser, and the request ends as DC', async () => {
    const up = await upstream(() => undefined);
    const h = await sidecar(baseConfig(), up.port);
    const c = await client(h, up.port);
    c.write('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n');
    await waitFor(() => up.got.length === 1);
    c.write('zz\r\n');
    expect(await readUntil(c, () => false)).toBe('HTTP/1.1 400 Bad Request\r\ncontent-length: 11\r\ncontent-type: text/plain\r\nserver: envoy\r\nconnection: close\r\n\r\nBad Request');
    await waitFor(() => h.logs.length === 2);
    expect(h.logs[0]).toContain('"- - HTTP/1.1" 400 DPE http1.codec_error ');
    expect(h.logs[1]).toContain('"POST / HTTP/1.1" 0 DC downstream_remote_disconnect - "-" 3 0 ');
  });

  it('while draining, answers with connection: close', async () => {
    const up = await upstream((_t, s) => s.write(ok('x')));
    const h = await sidecar(baseConfig(), up.port);
    const c = await client(h, up.port);
    h.sidecar.ctx.draining = true;
    c.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(await readUntil(c, () => false)).toContain('\r\nconnection: close\r\n\r\nx');
  });
});

describe('timeouts', () => {
  it('answers 504 UT on the route timeout, and a late upstream answer never reaches the next request', async () => {
    const up = await upstream((t, s) => {
      if (t.startsWith('GET /slow')) setTimeout(() => s.write(ok('late')), 150);
      else s.write(ok('fast'));
    });
    const h = await sidecar(baseConfig({ mesh: { outboundTrafficPolicy: { mode: 'ALLOW_ANY' }, routeTimeoutMs: 50, accessLogFile: '/dev/stdout' } }), up.port);
    const c = await client(h, up.port);
    // The mesh route timeout is on the service's route, not on allow_any (which has none, as in Istio).
    const host = `http-${up.port}.test.example`;
    c.write(`GET /slow HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    expect(masked(await readResponses(c, 1))).toBe(
      `HTTP/1.1 504 Gateway Timeout\r\ncontent-length: 24\r\ncontent-type: text/plain\r\ndate: <date>\r\nserver: envoy\r\n\r\nupstream request timeout`,
    );
    c.write(`GET /fast HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    expect((await readResponses(c, 1)).endsWith('\r\n\r\nfast')).toBe(true);
    // Nothing more arrives once the slow upstream answers.
    expect(await readUntil(c, () => false, 300).catch((e: Error) => e.message)).toBe('timed out; got ""');
    await waitFor(() => h.logs.length === 2);
    expect(h.logs[0]).toContain('"GET /slow HTTP/1.1" 504 UT response_timeout ');
    expect(h.sidecar.ctx.stats.cluster(`outbound|${up.port}||${host}`).upstream_rq_timeout).toBe(1);
  });
});
