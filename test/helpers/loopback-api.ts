// The lab's KubeApiServer on loopback over HTTPS with no container runtime behind its pods, and a kubeconfig for Debian's kubectl to reach it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { kubeconfigText } from '../../src-main/lab/api/kubeconfig';
import { loadOrCreatePki } from '../../src-main/lab/api/pki';
import { KubeApiServer, type ApiServerOptions, type PodStreams } from '../../src-main/lab/api/server';

/** No container behind these pods: a log, exec, attach or port-forward is a test bug. */
export const noStreams: PodStreams = {
  log: () => Promise.reject(new Error('no runtime in this test')),
  exec: () => {
    throw new Error('no runtime in this test');
  },
  attach: () => {
    throw new Error('no runtime in this test');
  },
  portForward: () => {
    throw new Error('no runtime in this test');
  },
};

export interface LoopbackApiOptions extends Omit<ApiServerOptions, 'serverAddress' | 'pods'> {
  /** The bearer token the kubeconfig carries. */
  token: string;
  /** Prefix of the temporary folder that holds the PKI and the kubeconfig. */
  name: string;
}

export interface LoopbackApi {
  port: number;
  caCert: string;
  /** The environment for kubectl: KUBECONFIG to this server, HOME in the temporary folder (no user's cache). */
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export async function startLoopbackApi(opts: LoopbackApiOptions): Promise<LoopbackApi> {
  const { token, name, ...serverOptions } = opts;
  const dir = mkdtempSync(path.join(tmpdir(), name));
  // HTTPS, as kube-apiserver serves: kubectl sends no bearer token over plain HTTP.
  const pki = await loadOrCreatePki(path.join(dir, 'pki'), ['127.0.0.1']);
  // The API names the address it listens at, so it is made once the server listens.
  const holder: { api?: KubeApiServer } = {};
  const server = createServer({ cert: pki.serverCert, key: pki.serverKey }, (req, res) => holder.api!.handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  holder.api = new KubeApiServer({ ...serverOptions, serverAddress: `127.0.0.1:${port}`, pods: noStreams });
  const kubeconfig = path.join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, kubeconfigText({ lab: 'test', server: `https://127.0.0.1:${port}`, caCert: pki.caCert, token }));
  return {
    port,
    caCert: pki.caCert,
    env: { ...process.env, KUBECONFIG: kubeconfig, HOME: dir },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
