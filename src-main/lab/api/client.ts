// A small client of a lab's Kubernetes API, as kubectl talks to it: the lab's kubeconfig (server, CA, token), JSON over HTTPS.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { parse } from 'yaml';
import { apiPaths, liveApiEndpoint } from './host-state';
import { apiVersionOf, type KindDescriptor } from './kinds';
import type { KubeObject } from './objects';

export class ApiClientError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

interface Kubeconfig {
  clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
  users: { user: { token: string } }[];
}

export class LabApiClient {
  private constructor(
    private readonly server: string,
    private readonly ca: string,
    private readonly token: string,
  ) {}

  /** The client of a lab whose API is served now; a clear error when it is not. */
  static forLab(lab: string): LabApiClient {
    if (!liveApiEndpoint(lab)) throw new Error(`lab ${lab}'s Kubernetes API is not running: \`sidecar-lab up\` resumes it`);
    const config = parse(readFileSync(apiPaths(lab).kubeconfig, 'utf8')) as Kubeconfig;
    const cluster = config.clusters[0].cluster;
    return new LabApiClient(cluster.server, Buffer.from(cluster['certificate-authority-data'], 'base64').toString(), config.users[0].user.token);
  }

  path(kind: KindDescriptor, namespace: string | undefined, name?: string): string {
    const base = kind.group ? `/apis/${apiVersionOf(kind)}` : `/api/${kind.versions[0]}`;
    const ns = kind.namespaced ? `/namespaces/${namespace ?? 'default'}` : '';
    return `${base}${ns}/${kind.resource}${name ? `/${name}` : ''}`;
  }

  /** The object, or undefined when it does not exist. */
  async get(kind: KindDescriptor, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
    try {
      return await this.call<KubeObject>('GET', this.path(kind, namespace, name));
    } catch (err) {
      if (err instanceof ApiClientError && err.code === 404) return undefined;
      throw err;
    }
  }

  create(kind: KindDescriptor, obj: KubeObject): Promise<KubeObject> {
    return this.call('POST', this.path(kind, obj.metadata.namespace), obj);
  }

  update(kind: KindDescriptor, obj: KubeObject): Promise<KubeObject> {
    return this.call('PUT', this.path(kind, obj.metadata.namespace, obj.metadata.name), obj);
  }

  delete(kind: KindDescriptor, namespace: string | undefined, name: string): Promise<KubeObject> {
    return this.call('DELETE', this.path(kind, namespace, name));
  }

  /**
   * Follows `path` as a watch (`?watch=true`), calling `onEvent` with each event's type as it
   * arrives; `onEnd` once, when the server ends the stream or it fails. Returns what stops it.
   */
  watch(path: string, onEvent: (type: string) => void, onEnd: (err?: Error) => void): () => void {
    const url = new URL(path, this.server);
    url.searchParams.set('watch', 'true');
    let ended = false;
    const end = (err?: Error) => {
      if (ended) return;
      ended = true;
      onEnd(err);
    };
    const req = request(url, { method: 'GET', ca: this.ca, headers: { authorization: `Bearer ${this.token}`, accept: 'application/json' } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return end(new ApiClientError(res.statusCode ?? 0, 'Unknown', `watch ${path}: HTTP ${res.statusCode}`));
      }
      let pending = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        pending += chunk;
        // One JSON event per line, as kube-apiserver streams them.
        for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          if (!line.trim()) continue;
          try {
            onEvent(String((JSON.parse(line) as { type?: unknown }).type));
          } catch {
            onEvent('UNKNOWN');
          }
        }
      });
      res.on('end', () => end());
      res.on('error', end);
    });
    req.on('error', end);
    req.end();
    return () => {
      ended = true;
      req.destroy();
    };
  }

  call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = new URL(path, this.server);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          ca: this.ca,
          headers: {
            authorization: `Bearer ${this.token}`,
            accept: 'application/json',
            ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = text ? JSON.parse(text) : {};
            } catch {
              parsed = { message: text };
            }
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) return resolve(parsed as T);
            const st = parsed as { message?: string; reason?: string };
            reject(new ApiClientError(status, st.reason ?? 'Unknown', st.message ?? `HTTP ${status}`));
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }
}
