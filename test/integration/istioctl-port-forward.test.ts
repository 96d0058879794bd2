// istioctl's EnvoyDo through pods/portforward: the lab's SPDY client against the API server's real port-forward handler.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeApiError, KubeClient } from '../../src-main/istioctl/kube/client';
import { envoyDo } from '../../src-main/istioctl/kube/envoy-admin';
import { POD, startTestApiServer, type TestApiServer } from './kube-streams-server';

let api: TestApiServer;
let admin: Server;
let adminPort: number;
const seen: string[] = [];

beforeAll(async () => {
  api = await startTestApiServer();
  // Stands in for Envoy's admin listener inside the pod; the test server forwards to loopback ports.
  admin = createServer((req, res) => {
    seen.push(`${req.method} ${req.url} host=${req.headers.host}`);
    if (req.url === '/config_dump') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      // Large enough to span many SPDY DATA frames.
      res.end(JSON.stringify({ configs: [{ '@type': 'x', pad: 'y'.repeat(300_000) }] }));
    } else if (req.url === '/logging?level=debug' && req.method === 'POST') {
      res.end('active loggers:\n  admin: debug\n');
    } else {
      res.writeHead(404);
      res.end('invalid path\n');
    }
  });
  await new Promise<void>((resolve) => admin.listen(0, '127.0.0.1', resolve));
  adminPort = (admin.address() as AddressInfo).port;
});

afterAll(async () => {
  await api.close();
  await new Promise<void>((resolve) => admin.close(() => resolve()));
});

const client = (): KubeClient => new KubeClient({ context: 'test', server: api.url, insecure: false, namespace: 'default' });

describe('EnvoyDo over SPDY port-forward', () => {
  it('GETs and POSTs the admin endpoint through the API server, one forwarded connection each', async () => {
    const body = await envoyDo(client(), { name: POD, namespace: 'default' }, 'GET', 'config_dump', { port: adminPort });
    expect((JSON.parse(body) as { configs: { pad: string }[] }).configs[0].pad).toHaveLength(300_000);
    const posted = await envoyDo(client(), { name: POD, namespace: 'default' }, 'POST', 'logging?level=debug', { port: adminPort });
    expect(posted).toBe('active loggers:\n  admin: debug\n');
    expect(seen).toEqual([`GET /config_dump host=localhost:${adminPort}`, `POST /logging?level=debug host=localhost:${adminPort}`]);
    const upgrades = api.requests.filter((r) => r.startsWith('UPGRADE'));
    expect(upgrades).toEqual([
      `UPGRADE POST /api/v1/namespaces/default/pods/${POD}/portforward`,
      `UPGRADE POST /api/v1/namespaces/default/pods/${POD}/portforward`,
    ]);
  });

  it("an admin error status is EnvoyDo's error", async () => {
    await expect(envoyDo(client(), { name: POD, namespace: 'default' }, 'GET', 'nope', { port: adminPort })).rejects.toThrow(
      'received unsuccessful status code 404: invalid path',
    );
  });

  it("a port nothing listens on fails with the kubelet's message from the error stream", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const logged: string[] = [];
    await expect(envoyDo(client(), { name: POD, namespace: 'default' }, 'GET', 'config_dump', { port, log: (l) => logged.push(l) })).rejects.toThrow(
      `failure running port forward process: Get "http://localhost:${port}/config_dump": EOF`,
    );
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(new RegExp(`^an error occurred forwarding ${port} -> ${port}: error forwarding port ${port} to pod ${POD}, uid : .*ECONNREFUSED`));
  });

  it('GETs API objects and reports a refusal with the Status message', async () => {
    const pod = await client().get<{ metadata: { name: string } }>(`/api/v1/namespaces/default/pods/${POD}`);
    expect(pod.metadata.name).toBe(POD);
    expect(await client().getOptional('/api/v1/namespaces/default/pods/missing')).toBeUndefined();
    await expect(client().get('/api/v1/namespaces/default/pods/missing')).rejects.toBeInstanceOf(KubeApiError);
  });
});
