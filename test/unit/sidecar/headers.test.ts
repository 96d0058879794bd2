// Istio's headers through the proxy: metadata exchange outbound (stripped inbound), server names, Envoy's request headers.
import type { Server as HttpServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { baseConfig, closeServer, httpVia, listenHttp, startSidecar, withHttpPorts, type Harness } from './helpers';

const POD_IP = '127.0.0.2';
let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function sidecar(config: Record<string, unknown>): Promise<Harness> {
  const h = await startSidecar(config);
  cleanup.push(() => h.close());
  return h;
}

async function upstream(host = '127.0.0.1'): Promise<Awaited<ReturnType<typeof listenHttp>>> {
  const up = await listenHttp(undefined, host);
  cleanup.push(() => closeServer(up.server as HttpServer));
  return up;
}

/** Reads the string fields of a protobuf google.protobuf.Struct (string values only). */
function decodeStruct(b64: string): Record<string, string> {
  const buf = Buffer.from(b64, 'base64');
  const out: Record<string, string> = {};
  const read = (b: Buffer, at: number): [number, number] => {
    let n = 0;
    let shift = 0;
    for (;;) {
      const c = b[at++];
      n |= (c & 0x7f) << shift;
      shift += 7;
      if (c < 0x80) return [n, at];
    }
  };
  let i = 0;
  while (i < buf.length) {
    expect(buf[i]).toBe(0x0a); // fields, length-delimited
    const [len, start] = read(buf, i + 1);
    const entry = buf.subarray(start, start + len);
    const [klen, kstart] = read(entry, 1);
    const key = entry.toString('utf8', kstart, kstart + klen);
    const value = entry.subarray(kstart + klen);
    const [, vstart] = read(value, 1);
    if (value[vstart] === 0x1a) {
      const [slen, sstart] = read(value, vstart + 1);
      out[key] = value.toString('utf8', sstart, sstart + slen);
    }
    i = start + len;
  }
  return out;
}

describe("Istio's headers", () => {
  it('adds x-envoy-peer-metadata(-id) outbound, replacing what the client sent', async () => {
    const up = await upstream();
    const h = await sidecar(withHttpPorts(baseConfig({ pod: { name: 'sleep-1', namespace: 'default', ip: '127.0.0.1', workload: 'sleep' } }), up.port));
    const r = await httpVia(h, h.ports.outbound, { address: '127.0.0.1', port: up.port }, { host: 'x.example', headers: { 'x-envoy-peer-metadata-id': 'forged', 'x-envoy-peer-metadata': 'Zm9v' } });
    expect(r.status).toBe(200);
    expect(r.headers.server).toBe('envoy');
    const seen = up.seen[0].headers;
    expect(seen['x-envoy-peer-metadata-id']).toBe('sidecar~127.0.0.1~sleep-1.default~default.svc.cluster.local');
    expect(decodeStruct(String(seen['x-envoy-peer-metadata']))).toEqual({
      CLUSTER_ID: 'Kubernetes',
      INSTANCE_IPS: '127.0.0.1',
      MESH_ID: 'cluster.local',
      NAME: 'sleep-1',
      NAMESPACE: 'default',
      WORKLOAD_NAME: 'sleep',
    });
    expect(seen['x-envoy-attempt-count']).toBe('1');
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('strips them inbound, and answers as istio-envoy', async () => {
    const app = await upstream(POD_IP);
    const h = await sidecar(baseConfig({ pod: { name: 'httpbin-1', namespace: 'default', ip: POD_IP }, inboundPorts: [{ port: app.port, name: 'http' }] }));
    const r = await httpVia(h, h.ports.inbound, { address: POD_IP, port: app.port }, { headers: { 'x-envoy-peer-metadata-id': 'sidecar~10.0.0.1~a.b~b.svc.cluster.local', 'x-envoy-peer-metadata': 'Zm9v' } });
    expect(r.status).toBe(200);
    expect(r.headers.server).toBe('istio-envoy');
    expect(app.seen[0].headers['x-envoy-peer-metadata-id']).toBeUndefined();
    expect(app.seen[0].headers['x-envoy-peer-metadata']).toBeUndefined();
    expect(app.seen[0].headers['x-envoy-attempt-count']).toBeUndefined();
  });

  it("echoes this proxy's peer headers inbound, only those the caller sent, with the route's decorator", async () => {
    const app = await listenHttp((_req, res) => {
      // An app's own copies never reach the caller.
      res.writeHead(200, { 'x-envoy-peer-metadata': 'app', 'x-envoy-decorator-operation': 'app', server: 'app' });
      res.end('ok');
    }, POD_IP);
    const h = await sidecar(baseConfig({ pod: { name: 'httpbin-1', namespace: 'default', ip: POD_IP, workload: 'httpbin' }, inboundPorts: [{ port: app.port, name: 'http' }] }));
    const dst = { address: POD_IP, port: app.port };
    const full = await httpVia(h, h.ports.inbound, dst, { headers: { 'x-envoy-peer-metadata-id': 'sidecar~10.0.0.1~a.b~b.svc.cluster.local', 'x-envoy-peer-metadata': 'Zm9v' } });
    expect(full.headers.server).toBe('istio-envoy');
    expect(full.headers['x-envoy-peer-metadata-id']).toBe(`sidecar~${POD_IP}~httpbin-1.default~default.svc.cluster.local`);
    expect(decodeStruct(String(full.headers['x-envoy-peer-metadata']))).toMatchObject({ NAME: 'httpbin-1', WORKLOAD_NAME: 'httpbin' });
    expect(full.headers['x-envoy-decorator-operation']).toMatch(/:\d+\/\*$/);
    // No metadata from the caller (not a mesh client): nothing to answer with.
    const plain = await httpVia(h, h.ports.inbound, dst, { headers: { 'x-envoy-peer-metadata-id': 'sidecar~10.0.0.1~a.b~b.svc.cluster.local' } });
    expect(plain.headers['x-envoy-peer-metadata-id']).toBe(`sidecar~${POD_IP}~httpbin-1.default~default.svc.cluster.local`);
    expect(plain.headers['x-envoy-peer-metadata']).toBeUndefined();
    expect((await httpVia(h, h.ports.inbound, dst)).headers['x-envoy-peer-metadata-id']).toBeUndefined();
  });

  it("takes the server's peer headers and decorator off an outbound response (upstream_discovery, tracing Egress)", async () => {
    const up = await listenHttp((_req, res) => {
      res.writeHead(200, { 'x-envoy-peer-metadata-id': 'sidecar~x', 'x-envoy-peer-metadata': 'Zm9v', 'x-envoy-decorator-operation': 'svc:80/*', 'x-envoy-upstream-service-time': '999' });
      res.end('ok');
    });
    const h = await sidecar(withHttpPorts(baseConfig({ pod: { name: 'sleep-1', namespace: 'default', ip: '127.0.0.1', workload: 'sleep' } }), up.port));
    const r = await httpVia(h, h.ports.outbound, { address: '127.0.0.1', port: up.port }, { host: `http-${up.port}.test.example` });
    expect(r.status).toBe(200);
    expect(r.headers['x-envoy-peer-metadata-id']).toBeUndefined();
    expect(r.headers['x-envoy-peer-metadata']).toBeUndefined();
    expect(r.headers['x-envoy-decorator-operation']).toBeUndefined();
    expect(r.headers['x-envoy-upstream-service-time']).not.toBe('999');
    // The route's decorator went upstream (tracing operation Egress).
    expect(up.seen[0].headers['x-envoy-decorator-operation']).toBe(`http-${up.port}.test.example:${up.port}/*`);
  });
});
