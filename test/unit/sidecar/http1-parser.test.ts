// The fast path's HTTP/1.1 head parsers and chunked decoder, without sockets.
import { describe, expect, it } from 'vitest';
import { ChunkedDecoder } from '../../../src-pod/sidecar/http/chunked';
import { firstDelta, writeKept } from '../../../src-pod/sidecar/http/http1-headers';
import { FALLBACK, INVALID, NEED_MORE, parseRequestHead, parseResponseHead, type RequestHead, type ResponseHead } from '../../../src-pod/sidecar/http/http1-parser';

const req = (text: string): ReturnType<typeof parseRequestHead> => parseRequestHead(Buffer.from(text, 'latin1'));
const res = (text: string): ReturnType<typeof parseResponseHead> => parseResponseHead(Buffer.from(text, 'latin1'));

function kept(h: RequestHead | ResponseHead): string {
  const out = Buffer.alloc(h.keptBytes);
  expect(writeKept(h, out, 0)).toBe(h.keptBytes);
  return out.toString('latin1');
}

describe('parseRequestHead', () => {
  it('reads the line, the headers the router needs, and keeps the rest in order', () => {
    const h = req('POST /a?b HTTP/1.1\r\nHost: svc:80\r\nuser-agent:curl/8\r\nX-Request-Id: r1\r\nConnection: keep-alive\r\nX-A:  1 \t\r\nContent-Length: 5\r\nx-forwarded-proto: https\r\n\r\nhello');
    if (typeof h === 'number') throw new Error(`got ${h}`);
    expect(h).toMatchObject({ method: 'POST', target: '/a?b', host: 'svc:80', userAgent: 'curl/8', requestId: 'r1', contentLength: 5, chunked: false, close: false, hasForwardedProto: true, zeroLength: false, peerReceived: 0 });
    expect(h.end).toBe(h.buf.length - 5);
    // Host is Envoy's :authority, written first by the exchange; names lowercased as Envoy's codec stores them.
    expect(kept(h)).toBe('user-agent: curl/8\r\nx-request-id: r1\r\nx-a: 1\r\ncontent-length: 5\r\nx-forwarded-proto: https\r\n');
  });

  it("knows chunked, close, the peer headers it drops, and which methods get Envoy's content-length: 0", () => {
    const chunked = req('PUT / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\nConnection: Close\r\nX-Envoy-Peer-Metadata: m\r\n\r\n');
    if (typeof chunked === 'number') throw new Error(`got ${chunked}`);
    expect(chunked).toMatchObject({ chunked: true, close: true, peerReceived: 2 });
    // The codec writes its own transfer-encoding, last.
    expect(kept(chunked)).toBe('');
    expect(req('GET / HTTP/1.1\r\nHost: x\r\nx-envoy-peer-metadata-id: i\r\nx-envoy-peer-metadata: m\r\n\r\n')).toMatchObject({ peerReceived: 3, keptBytes: 0 });
    // HeaderUtility::requestShouldHaveNoBody: GET, HEAD, DELETE, TRACE, CONNECT; OPTIONS is not one.
    for (const m of ['PATCH', 'POST', 'PUT', 'OPTIONS']) expect(req(`${m} / HTTP/1.1\r\nHost: x\r\n\r\n`)).toMatchObject({ zeroLength: true, contentLength: -1 });
    for (const m of ['GET', 'HEAD', 'DELETE', 'TRACE']) expect(req(`${m} / HTTP/1.1\r\nHost: x\r\n\r\n`)).toMatchObject({ zeroLength: false });
  });

  it('waits for the blank line', () => {
    expect(req('GET / HTTP/1.1\r\nHost: x\r\n')).toBe(NEED_MORE);
    expect(req('GE')).toBe(NEED_MORE);
  });

  it("leaves to Node's server what it would read differently or handles itself", () => {
    const cases = [
      'GET / HTTP/1.0\r\nHost: x\r\n\r\n',
      'CONNECT x:443 HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\n\r\n',
      'POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n',
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n',
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n',
      'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n',
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\nBad Name: a\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\nX: a\x01b\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\nX: a\r\n\r\n',
      'GET / HTTP/1.1\r\nX: a\r\n\r\n',
      'GET / HTTP/1.1\r\nHost:\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Upgrade\r\n\r\n',
      'get / HTTP/1.1\r\nHost: x\r\n\r\n',
      'BREW / HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /a b HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /\xe9 HTTP/1.1\r\nHost: x\r\n\r\n',
      `GET / HTTP/1.1\r\nHost: x\r\nX: ${'a'.repeat(17 * 1024)}\r\n\r\n`,
    ];
    for (const c of cases) expect([c, req(c)]).toEqual([c, FALLBACK]);
    expect(req(`GET / HTTP/1.1\r\nX: ${'a'.repeat(17 * 1024)}`)).toBe(FALLBACK);
  });
});

describe('parseResponseHead', () => {
  it('fails a reply that does not open with HTTP/1. at once, without waiting for a blank line', () => {
    expect(res('220 smtp.example ESMTP ready\r\n')).toBe(INVALID);
    expect(res('S')).toBe(INVALID);
    expect(res('HTT')).toBe(NEED_MORE);
    expect(res('HTTP/1.1 200 OK\r\n')).toBe(NEED_MORE);
  });

  it('reads status, reason, framing and keep-alive', () => {
    const h = res('HTTP/1.1 201 Created Now\r\nContent-Length: 3\r\nServer: up\r\nX-A: b\r\nConnection: keep-alive\r\nSERVER: again\r\nx-envoy-upstream-service-time: 9\r\n\r\nabc');
    if (typeof h === 'number') throw new Error(`got ${h}`);
    expect(h).toMatchObject({ status: 201, contentLength: 3, chunked: false, close: false, hasDate: false, firstAt: 4 });
    expect(h.buf.toString('latin1', h.reasonStart, h.reasonEnd)).toBe('Created Now');
    expect(h.end).toBe(h.buf.length - 3);
    // Server stays where the upstream put it (once), for the connection manager to rewrite; the router's own header is dropped.
    expect(kept(h)).toBe('content-length: 3\r\nserver: up\r\nx-a: b\r\n');
    const out = Buffer.alloc(h.keptBytes + firstDelta(h, 'istio-envoy'));
    expect(writeKept(h, out, 0, 'istio-envoy')).toBe(out.length);
    expect(out.toString('latin1')).toBe('content-length: 3\r\nserver: istio-envoy\r\nx-a: b\r\n');
    expect(res('HTTP/1.1 200 OK\r\nDate: d\r\nContent-Length: 0\r\n\r\n')).toMatchObject({ hasDate: true, firstAt: -1 });
  });

  it('knows chunked, close-delimited, HTTP/1.0, no reason and bare LF', () => {
    expect(res('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n')).toMatchObject({ chunked: true, close: false });
    expect(res('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n')).toMatchObject({ chunked: false, close: true });
    expect(res('HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n')).toMatchObject({ close: true });
    expect(res('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n')).toMatchObject({ close: true });
    expect(res('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n')).toMatchObject({ close: false });
    // Node's Agent: no pooling when the server's keep-alive hint is a second or less.
    expect(res('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1\r\nContent-Length: 0\r\n\r\n')).toMatchObject({ close: true });
    expect(res('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5, max=100\r\nContent-Length: 0\r\n\r\n')).toMatchObject({ close: false });
    const bare = res('HTTP/1.1 200\nContent-Length: 2\nX: y\n\nok');
    if (typeof bare === 'number') throw new Error(`got ${bare}`);
    expect(bare).toMatchObject({ status: 200, contentLength: 2, reasonStart: 12, reasonEnd: 12, end: bare.buf.length - 2 });
    expect(kept(bare)).toBe('content-length: 2\r\nx: y\r\n');
    expect(res('HTTP/1.1 100 Continue\r\n\r\n')).toMatchObject({ status: 100, end: 25 });
  });

  it('keeps at most 2000 headers, as Node does, but reads the framing past them', () => {
    const h = res(`HTTP/1.1 200 OK\r\n${'a:\r\n'.repeat(2100)}Content-Length: 2\r\n\r\nok`);
    if (typeof h === 'number') throw new Error(`got ${h}`);
    expect(h.kept).toHaveLength(2000 * 4);
    expect(h.contentLength).toBe(2);
  });

  it('waits for more, and refuses what Node would fail to parse', () => {
    expect(res('HTTP/1.1 200 OK\r\nX: y\r\n')).toBe(NEED_MORE);
    expect(res(`HTTP/1.1 200 OK\r\nX: ${'y'.repeat(17 * 1024)}\r\n\r\n`)).toBe(INVALID);
    expect(res(`HTTP/1.1 200 OK\r\nX: ${'y'.repeat(17 * 1024)}`)).toBe(INVALID);
    for (const c of ['HTTP/2 200 OK\r\n\r\n', 'HTTP/1.1 20 OK\r\n\r\n', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n', 'HTTP/1.1 200 OK\r\nX y\r\n\r\n']) {
      expect([c, res(c)]).toEqual([c, INVALID]);
    }
  });
});

describe('ChunkedDecoder', () => {
  const body = '5\r\nhello\r\n1;name=value\r\n \r\nC\r\nworld, again\r\n0\r\nTrailer: x\r\nOther: y\r\n\r\nNEXT';

  it('decodes the same data and stops at the same byte however the input is split', () => {
    const buf = Buffer.from(body, 'latin1');
    for (let a = 0; a <= buf.length; a++) {
      for (const b of [a, Math.min(buf.length, a + 1), Math.min(buf.length, a + 5)]) {
        const d = new ChunkedDecoder();
        let data = '';
        const sink = (c: Buffer): void => void (data += c.toString('latin1'));
        let stop = d.feed(buf, 0, a, sink);
        if (!d.done) stop = d.feed(buf, stop, b, sink);
        if (!d.done) stop = d.feed(buf, stop, buf.length, sink);
        expect(d.error).toBe(false);
        expect(d.done).toBe(true);
        expect(data).toBe('hello world, again');
        expect(buf.toString('latin1', stop)).toBe('NEXT');
      }
    }
  });

  it('flags malformed bodies', () => {
    for (const bad of ['x\r\n', '5\r\nhelloXX', '5\nhello\r\n', '\r\n', '1\r\na\r\n0\r\n\n', 'ffffffffffff\r\n']) {
      const d = new ChunkedDecoder();
      d.feed(Buffer.from(bad, 'latin1'), 0, bad.length, () => undefined);
      expect([bad, d.error]).toEqual([bad, true]);
    }
  });
});
