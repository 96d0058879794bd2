// istioctl's EnvoyDo: an HTTP request to a pod's Envoy admin port (15000) through the API server's port-forward.
import { request, type IncomingMessage } from 'node:http';
import type { PodRef, ProxyAdmin } from '../proxy-admin';
import type { KubeClient } from './client';

/** Envoy's admin port in an Istio sidecar (istioctl's --proxy-admin-port default). */
export const PROXY_ADMIN_PORT = 15000;

/** One request over a fresh forwarded connection, as istioctl forwards a port for each EnvoyDo. */
export async function envoyDo(
  client: KubeClient,
  pod: PodRef,
  method: 'GET' | 'POST',
  path: string,
  opts: { port?: number; log?: (line: string) => void } = {},
): Promise<string> {
  const port = opts.port ?? PROXY_ADMIN_PORT;
  // Every failure on the way reads as istioctl's portForwardRequest words it.
  const fail = (err: unknown): Error => new Error(`failure running port forward process: ${err instanceof Error ? err.message : String(err)}`);
  let forward;
  try {
    forward = await client.portForward(pod.namespace, pod.name);
  } catch (err) {
    throw fail(err);
  }
  try {
    const { data, failure } = await forward.dial(port);
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({
        method,
        path: `/${path}`,
        headers: { Host: `localhost:${port}`, Connection: 'close' },
        // The forwarded stream is the connection: Node's HTTP client speaks HTTP/1.1 over it.
        createConnection: () => data,
      });
      req.on('response', (r: IncomingMessage) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        r.on('error', reject);
      });
      req.on('error', (err) => {
        // The kubelet says on the error stream why the connection failed (nothing listens on the
        // port…); client-go logs that, and Go's HTTP client reports the connection's EOF.
        void Promise.race([failure, new Promise<string>((r) => setTimeout(() => r(''), 1000))]).then((why) => {
          if (why) opts.log?.(`an error occurred forwarding ${port} -> ${port}: ${why}`);
          const op = method === 'GET' ? 'Get' : 'Post';
          reject(fail(new Error(`${op} "http://localhost:${port}/${path}": ${why ? 'EOF' : err.message}`)));
        });
      });
      req.end();
    });
    if (res.status !== 200) throw new Error(`received unsuccessful status code ${res.status}: ${res.body.trim()}`);
    return res.body;
  } finally {
    forward.close();
  }
}

export function apiProxyAdmin(client: KubeClient, log?: (line: string) => void): ProxyAdmin {
  return { request: (pod, method, path) => envoyDo(client, pod, method, path, { ...(log ? { log } : {}) }) };
}
