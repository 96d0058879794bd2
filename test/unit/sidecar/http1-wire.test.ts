// HTTP/1.1 through the proxy, byte for byte on both sides, as Envoy's HTTP/1 codec writes it
// (codec_impl.cc): host first, names lowercased, the added headers in header-map order, the
// proxy's reason phrase, framing last; no keep-alive announcement.
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { baseConfig, closeServer, readUntil, startSidecar, waitFor, withHttpPorts, type Harness } from './helpers';
import { masked, PEER, rawClient, rawUpstream, readResponses, type RawUpstream } from './wire';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function setup(onRequest: (text: string, s: Socket, conn: number) => void, config = baseConfig()): Promise<{ h: Harness; up: RawUpstream; client: () => Promise<Socket> }> {
  const up = await rawUpstream(onRequest);
  cleanup.push(() => closeServer(up.server));
  const h = await startSidecar(withHttpPorts(config, up.port));
  cleanup.push(() => h.close());
  const client = async (): Promise<Socket> => {
    const s = await rawClient(h, h.ports.outbound, { address: '127.0.0.1', port: up.port });
    cleanup.push(async () => void s.destroy());
    return s;
  };
  return { h, up, client };
}

const DROP = 'x-envoy-upstream-service-time: <t>\r\n';

describe('request and response heads', () => {
  it('forwards headers in order, lowercased, drops hop-by-hop ones, adds Envoy headers in header-map order', async () => {
    const { client, up, h } = await setup((_t, s) => s.write('HTTP/1.1 200 Fine\r\nContent-Length: 2\r\nServer: up\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nDate: x\r\nX-Envoy-Peer-Metadata: theirs\r\n\r\nok'));
    const c = await client();
    c.write('GET /a?b=1 HTTP/1.1\r\nUser-Agent:  t \r\nHost: x.example\r\nConnection: keep-alive\r\nTE: trailers\r\nX-Dup: 1\r\nx-dup: 2\r\nX-Envoy-Attempt-Count: 7\r\nX-Envoy-Decorator-Operation: forged\r\n\r\n');
    // The upstream's server is rewritten where it stood, its date kept, the peer's metadata taken
    // off (upstream_discovery), the reason phrase Envoy's own.
    expect(masked(await readResponses(c, 1))).toBe(`HTTP/1.1 200 OK\r\ncontent-length: 2\r\nserver: envoy\r\ndate: x\r\n${DROP}\r\nok`);
    // host (:authority) first; then the HCM's (x-forwarded-proto, x-request-id; allow_any has no
    // decorator, and a client's is never forwarded), the metadata exchange's, the router's attempt count.
    expect(masked(up.got[0])).toBe(
      'GET /a?b=1 HTTP/1.1\r\nhost: x.example\r\nuser-agent: t\r\nx-dup: 1\r\nx-dup: 2\r\n' +
        'x-forwarded-proto: http\r\nx-request-id: <id>\r\n' + PEER + 'x-envoy-attempt-count: 1\r\n\r\n',
    );
    await waitFor(() => h.logs.length === 1);
    expect(h.logs[0]).toMatch(/"GET \/a\?b=1 HTTP\/1\.1" 200 - via_upstream - "-" 0 2 \d+ \d+ "-" "t" "[0-9a-f-]{36}" "x\.example" /);
  });

  it("keeps a client x-request-id and x-forwarded-proto (adding none); the reason phrase and the date are Envoy's", async () => {
    const { client, up } = await setup((_t, s) => s.write('HTTP/1.1 200\r\nContent-Length: 1\r\nx-envoy-upstream-service-time: 99\r\nServer: s\r\n\r\nx'));
    const c = await client();
    c.write('GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-Proto: https\r\nx-request-id: rid\r\n\r\n');
    expect(masked(await readResponses(c, 1))).toBe(`HTTP/1.1 200 OK\r\ncontent-length: 1\r\nserver: envoy\r\n${DROP}date: <date>\r\n\r\nx`);
    expect(masked(up.got[0])).toBe('GET / HTTP/1.1\r\nhost: x\r\nx-forwarded-proto: https\r\nx-request-id: rid\r\n' + PEER + 'x-envoy-attempt-count: 1\r\n\r\n');
  });

  it("forwards a content-length body, and gives a body-less POST the codec's content-length: 0", async () => {
    const { client, up } = await setup((_t, s) => s.write('HTTP/1.1 201 Created\r\ncontent-length: 0\r\nDate: d\r\n\r\n'));
    const c = await client();
    c.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcPOST /e HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(masked(await readResponses(c, 2))).toBe(`HTTP/1.1 201 Created\r\ncontent-length: 0\r\ndate: d\r\n${DROP}server: envoy\r\n\r\n`.repeat(2));
    expect(masked(up.got.join(''))).toBe(
      'POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\nx-forwarded-proto: http\r\nx-request-id: <id>\r\n' + PEER + 'x-envoy-attempt-count: 1\r\n\r\nabc' +
        'POST /e HTTP/1.1\r\nhost: x\r\nx-forwarded-proto: http\r\nx-request-id: <id>\r\n' + PEER + 'x-envoy-attempt-count: 1\r\ncontent-length: 0\r\n\r\n',
    );
  });

  it('re-chunks a chunked request (trailers dropped) and a chunked response', async () => {
    const { client, up, h } = await setup((_t, s) => s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: x-t\r\n\r\n2\r\nhi\r\n3;ext=1\r\n th\r\n0\r\nx-t: 1\r\n\r\n'));
    const c = await client();
    c.write('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTrailer: x-t\r\n\r\n3\r\nabc\r\n0\r\nx-t: 1\r\n\r\n');
    expect(masked(await readResponses(c, 1))).toMatch(
      new RegExp(`^HTTP/1\\.1 200 OK\\r\\nx-envoy-upstream-service-time: <t>\\r\\ndate: <date>\\r\\nserver: envoy\\r\\ntransfer-encoding: chunked\\r\\n\\r\\n(2\\r\\nhi\\r\\n3\\r\\n th\\r\\n|5\\r\\nhi th\\r\\n)0\\r\\n\\r\\n$`),
    );
    // The codec's transfer-encoding comes last, after every header the proxy adds.
    expect(masked(up.got[0])).toBe(
      'POST / HTTP/1.1\r\nhost: x\r\nx-forwarded-proto: http\r\nx-request-id: <id>\r\n' + PEER + 'x-envoy-attempt-count: 1\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
    );
    await waitFor(() => h.logs.length === 1);
    expect(h.logs[0]).toContain('"POST / HTTP/1.1" 200 - via_upstream - "-" 3 5 ');
  });

  it('turns a close-delimited response into a chunked one and does not reuse that upstream connection', async () => {
    const { client, up, h } = await setup((_t, s) => s.end('HTTP/1.1 200 OK\r\n\r\nclose-delimited'));
    const c = await client();
    c.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(masked(await readResponses(c, 1))).toBe(
      `HTTP/1.1 200 OK\r\n${DROP}date: <date>\r\nserver: envoy\r\ntransfer-encoding: chunked\r\n\r\nf\r\nclose-delimited\r\n0\r\n\r\n`,
    );
    c.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await readResponses(c, 1);
    expect(up.connections).toBe(2);
    await waitFor(() => h.logs.length === 2);
    expect(h.logs[0]).toContain('"GET / HTTP/1.1" 200 - via_upstream - "-" 0 15 ');
  });

  it('sends no body for HEAD, 204 and 304, and closes after Connection: close', async () => {
    const replies = ['HTTP/1.1 200 OK\r\nContent-Length: 10\r\nDate: d\r\n\r\n', 'HTTP/1.1 204 No Content\r\nDate: d\r\n\r\n', 'HTTP/1.1 304 Not Modified\r\nETag: "x"\r\nDate: d\r\n\r\n'];
    let n = 0;
    const { client, up } = await setup((_t, s) => s.write(replies[n++]));
    const c = await client();
    c.write('HEAD / HTTP/1.1\r\nHost: x\r\n\r\n');
    c.write('DELETE / HTTP/1.1\r\nHost: x\r\n\r\n');
    c.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const all = masked(await readUntil(c, () => false));
    const tail = 'date: d\r\nx-envoy-upstream-service-time: <t>\r\nserver: envoy\r\n';
    expect(all).toBe(
      `HTTP/1.1 200 OK\r\ncontent-length: 10\r\n${tail}\r\n` +
        `HTTP/1.1 204 No Content\r\n${tail}\r\n` +
        `HTTP/1.1 304 Not Modified\r\netag: "x"\r\n${tail}connection: close\r\n\r\n`,
    );
    expect(up.got.join('').toLowerCase()).not.toContain('connection: close');
  });

  it('reads past 1xx interim responses', async () => {
    const { client } = await setup((_t, s) => {
      s.write('HTTP/1.1 100 Continue\r\n\r\n');
      setTimeout(() => s.write('HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx'), 20);
    });
    const c = await client();
    c.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(masked(await readResponses(c, 1))).toBe(`HTTP/1.1 200 OK\r\ncontent-length: 1\r\n${DROP}date: <date>\r\nserver: envoy\r\n\r\nx`);
  });
});

describe('local replies', () => {
  it('writes 503 no healthy upstream and 502 block_all as before, keep-alive then close', async () => {
    const config = baseConfig({
      services: [{ name: 'a', namespace: 'default', clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80 }], endpoints: [] }],
      mesh: { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' }, accessLogFile: '/dev/stdout' },
    });
    const h = await startSidecar(config);
    cleanup.push(() => h.close());
    const two = 'POST / HTTP/1.1\r\nHost: a.default.svc.cluster.local\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\nHost: a.default.svc.cluster.local\r\nConnection: close\r\n\r\n';
    const uh = await rawClient(h, h.ports.outbound, { address: '10.96.0.10', port: 80 });
    uh.write(two);
    const reply503 = (conn: string): string =>
      `HTTP/1.1 503 Service Unavailable\r\ncontent-length: 19\r\ncontent-type: text/plain\r\ndate: <date>\r\nserver: envoy\r\n${conn}\r\nno healthy upstream`;
    expect(masked(await readUntil(uh, () => false))).toBe(reply503('') + reply503('connection: close\r\n'));
    // block_all is a route of the per-port listener: another address on a declared HTTP port, another Host.
    const blocked = await rawClient(h, h.ports.outbound, { address: '127.0.0.1', port: 80 });
    blocked.write(two.replaceAll('a.default.svc.cluster.local', 'elsewhere.example'));
    // Bodiless: the codec's content-length: 0 after every header of the map.
    const reply502 = (conn: string): string => `HTTP/1.1 502 Bad Gateway\r\ndate: <date>\r\nserver: envoy\r\n${conn}content-length: 0\r\n\r\n`;
    expect(masked(await readUntil(blocked, () => false))).toBe(reply502('') + reply502('connection: close\r\n'));
    await waitFor(() => h.logs.length === 4).catch((e: Error) => { throw new Error(`${e.message}: ${h.logs.join('\n')}`); });
    expect(h.logs[0]).toContain('"POST / HTTP/1.1" 503 UH no_healthy_upstream - "-" 3 19 ');
    // block_all reads the body but never counts it.
    expect(h.logs[2]).toContain('"POST / HTTP/1.1" 502 - direct_response - "-" 0 0 ');
  });
});
