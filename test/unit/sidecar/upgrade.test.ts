// Upgrade (WebSocket) requests take their StreamInfo from the connection manager, as every other request does.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { ProxyContext } from '../../../src-pod/sidecar/context';
import type { HttpConnection } from '../../../src-pod/sidecar/http/http-connection';
import { proxyUpgrade } from '../../../src-pod/sidecar/http/upgrade';
import { newStreamInfo, type StreamInfo } from '../../../src-pod/sidecar/stream-info';

describe('proxyUpgrade', () => {
  it("logs the request on the StreamInfo the connection manager's newInfo builds", () => {
    const conn = { direction: 'outbound', listener: '0.0.0.0_80', chain: { name: 'chain' }, connectionId: 7, downstreamRemote: '10.0.0.1:5', downstreamLocal: '10.0.0.2:80', listenerAddress: '0.0.0.0:80', headers: { server: 'envoy', direction: 'outbound' } } as unknown as HttpConnection;
    const made = newStreamInfo({ kind: 'http', direction: 'outbound', listener: 'from-newInfo', filterChain: 'c', connectionId: 99, downstreamRemote: '', downstreamLocal: '', listenerAddress: '' });
    const done: StreamInfo[] = [];
    const ctx = { requestDone: (i: StreamInfo) => done.push(i) } as unknown as ProxyContext;
    const written: string[] = [];
    const down = { end: (s: string) => written.push(s) } as unknown as Socket;
    const req = { method: 'GET', url: '/ws', httpVersion: '1.1', headers: { host: 'x' } } as unknown as IncomingMessage;
    proxyUpgrade(ctx, conn, req, down, Buffer.alloc(0), undefined, { newInfo: () => made });
    expect(done).toHaveLength(1);
    expect(done[0]).toBe(made);
    expect(made).toMatchObject({ responseCode: 404, responseCodeDetails: 'route_not_found', path: '/ws' });
    expect(written[0]).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
  });
});
