// Raw-socket plumbing for the byte-exact HTTP/1.1 tests: scripted upstreams and clients.
import { connect, type Server, type Socket } from 'node:net';
import { afterEach } from 'vitest';
import { baseConfig, closeServer, listenTcp, readUntil, startSidecar, withHttpPorts, type Harness } from './helpers';
import type { Address } from '../../../src-pod/sidecar/routing';

export interface RawUpstream {
  server: Server;
  port: number;
  /** Every byte each connection received, latin1, by connection order. */
  got: string[];
  connections: number;
}

/**
 * A TCP upstream; `onRequest(i, s, conn)` runs for each request head (and, with a
 * content-length, its body) complete on connection `conn`.
 */
export async function rawUpstream(onRequest: (text: string, s: Socket, conn: number) => void): Promise<RawUpstream> {
  const up: RawUpstream = { server: undefined as unknown as Server, port: 0, got: [], connections: 0 };
  const l = await listenTcp((s) => {
    const conn = up.connections++;
    up.got[conn] = '';
    let pending = '';
    s.on('data', (d: Buffer) => {
      const text = d.toString('latin1');
      up.got[conn] += text;
      pending += text;
      for (;;) {
        const end = pending.indexOf('\r\n\r\n');
        if (end === -1) return;
        const head = pending.slice(0, end + 4);
        const cl = /\r\ncontent-length: *(\d+)/i.exec(head);
        let total = end + 4 + (cl ? Number(cl[1]) : 0);
        if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
          // What the proxy sends has no trailers: the body ends at the first last-chunk.
          const fin = chunkedEnd(pending, end + 4);
          if (fin === -1) return;
          total = fin;
        }
        if (pending.length < total) return;
        const one = pending.slice(0, total);
        pending = pending.slice(total);
        onRequest(one, s, conn);
      }
    });
  });
  up.server = l.server;
  up.port = l.port;
  return up;
}

/** A raw client connection through a listener, "redirected" from `dst`. */
export function rawClient(h: Harness, port: number, dst: Address): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, localAddress: h.dsts.source(dst) }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Reads until `count` complete responses (by content-length / chunked / close) or the end. */
export function readResponses(s: Socket, count: number, ms = 3000): Promise<string> {
  return readUntil(s, (t) => countResponses(t) >= count, ms);
}

function countResponses(text: string): number {
  let n = 0;
  let pos = 0;
  for (;;) {
    const end = text.indexOf('\r\n\r\n', pos);
    if (end === -1) return n;
    const head = text.slice(pos, end);
    if (/^HTTP\/1\.1 1\d\d/.test(head)) {
      pos = end + 4;
      continue;
    }
    const cl = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (cl) {
      if (text.length < end + 4 + Number(cl[1])) return n;
      pos = end + 4 + Number(cl[1]);
    } else if (/\r\ntransfer-encoding: chunked/i.test(head)) {
      const fin = chunkedEnd(text, end + 4);
      if (fin === -1) return n;
      pos = fin;
    } else pos = end + 4;
    n++;
  }
}

/** Where a trailer-less chunked body starting at `from` ends, or -1. */
function chunkedEnd(text: string, from: number): number {
  if (text.startsWith('0\r\n\r\n', from)) return from + 5;
  const i = text.indexOf('\r\n0\r\n\r\n', from);
  return i === -1 ? -1 : i + 7;
}

/** Masks what changes run to run: generated request ids, service times, dates. */
export function masked(text: string): string {
  return text
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/g, '<id>')
    .replace(/x-envoy-upstream-service-time: \d+/g, 'x-envoy-upstream-service-time: <t>')
    .replace(/date: [A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT/g, 'date: <date>')
    .replace(/x-envoy-peer-metadata: [A-Za-z0-9+/=]+/g, 'x-envoy-peer-metadata: <meta>');
}

/** Istio's metadata exchange headers on an outbound request from baseConfig()'s pod (the value masked). */
export const PEER = 'x-envoy-peer-metadata-id: sidecar~127.0.0.1~sleep-1.default~default.svc.cluster.local\r\nx-envoy-peer-metadata: <meta>\r\n';

/**
 * Per-test sidecars, raw upstreams and raw clients, each closed after its test (call once at the
 * top of a test file).
 */
export function rawHarness() {
  let cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c();
    cleanup = [];
  });
  return {
    /** Runs `fn` after the test, with the rest of its cleanup. */
    later(fn: () => Promise<void>): void {
      cleanup.push(fn);
    },
    /** A sidecar with `config`, plus `httpPorts` declared HTTP (a `0.0.0.0_PORT` listener each). */
    async sidecar(config: Record<string, unknown> = baseConfig(), ...httpPorts: number[]): Promise<Harness> {
      const h = await startSidecar(withHttpPorts(config, ...httpPorts));
      cleanup.push(() => h.close());
      return h;
    },
    async upstream(onRequest: (text: string, s: Socket, conn: number) => void): Promise<RawUpstream> {
      const up = await rawUpstream(onRequest);
      cleanup.push(() => closeServer(up.server));
      return up;
    },
    async client(h: Harness, port: number, direction: 'outbound' | 'inbound' = 'outbound'): Promise<Socket> {
      const s = await rawClient(h, direction === 'outbound' ? h.ports.outbound : h.ports.inbound, { address: '127.0.0.1', port });
      cleanup.push(async () => void s.destroy());
      return s;
    },
  };
}
