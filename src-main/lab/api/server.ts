// The lab's kube-apiserver: authentication, routing to discovery, resources and the pods' streaming subresources.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { reviewSelfAccess } from './access-review';
import type { AdmissionPlugin, Identity } from './admission';
import { discovery, versionInfo } from './discovery';
import { handleEphemeralContainers } from './ephemeral-containers';
import { sendError, sendJson } from './http-util';
import { K } from './kinds';
import type { KubeObject } from './objects';
import { openapiV2 } from './openapi';
import { requestInfo, type ResourceRequest } from './request-info';
import { handleResource, type ResourceContext } from './resource-handler';
import { ApiError, badRequest, forbidden, unauthorized } from './status';
import type { ObjectStore } from './store';

export interface LogOptions {
  container: string;
  follow: boolean;
  tailLines?: number;
  timestamps: boolean;
  previous: boolean;
  sinceSeconds?: number;
  sinceTime?: string;
  limitBytes?: number;
}

export interface ExecOptions {
  container: string;
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** What only the runtime can answer: a container's output, a process in it, a port in the pod. */
export interface PodStreams {
  log(pod: KubeObject, opts: LogOptions, res: ServerResponse, req: IncomingMessage): Promise<void>;
  exec(pod: KubeObject, opts: ExecOptions, req: IncomingMessage, socket: Duplex, head: Buffer): void;
  attach(pod: KubeObject, opts: Omit<ExecOptions, 'command'>, req: IncomingMessage, socket: Duplex, head: Buffer): void;
  portForward(pod: KubeObject, ports: number[], req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

export interface ApiServerOptions {
  store: ObjectStore;
  authenticate(token: string): Identity | undefined;
  admission: AdmissionPlugin[];
  kubernetesVersion(): string;
  /** `host:port` that clients reach this server at (discovery's serverAddressByClientCIDRs). */
  serverAddress: string;
  pods: PodStreams;
}

function bearer(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return m?.[1];
}

const flag = (query: URLSearchParams, name: string): boolean => query.get(name) === 'true' || query.get(name) === '1';

function positiveInt(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name);
  if (v === null) return undefined;
  if (!/^\d+$/.test(v)) throw badRequest(`${name}: ${v} is not a non-negative number`);
  return Number(v);
}

/** The container a request names, or the pod's default as kube-apiserver picks it. */
export function podContainer(pod: KubeObject, asked: string | null, what: string): string {
  const spec = (pod.spec ?? {}) as { containers?: { name: string }[]; initContainers?: { name: string }[]; ephemeralContainers?: { name: string }[] };
  const names = (spec.containers ?? []).map((c) => c.name);
  const all = [...names, ...(spec.initContainers ?? []).map((c) => c.name), ...(spec.ephemeralContainers ?? []).map((c) => c.name)];
  if (asked) {
    if (!all.includes(asked)) throw badRequest(`container ${asked} is not valid for pod ${pod.metadata.name}`);
    return asked;
  }
  if (names.length === 1) return names[0];
  const annotated = pod.metadata.annotations?.['kubectl.kubernetes.io/default-container'];
  if (annotated && names.includes(annotated)) return annotated;
  throw badRequest(`a container name must be specified for pod ${pod.metadata.name}, choose one of: [${names.join(' ')}]${what === 'log' && spec.initContainers?.length ? ` or one of the init containers: [${spec.initContainers.map((c) => c.name).join(' ')}]` : ''}`);
}

export class KubeApiServer {
  private readonly resources: ResourceContext;

  constructor(private readonly opts: ApiServerOptions) {
    this.resources = { store: opts.store, admission: opts.admission };
  }

  private identify(req: IncomingMessage): Identity {
    const token = bearer(req);
    const who = token ? this.opts.authenticate(token) : undefined;
    if (!who) throw unauthorized();
    return who;
  }

  /** Plain requests (everything but the upgraded streams). */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.serve(req, res).catch((err: unknown) => sendError(res, err));
  };

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://lab');
    // Health endpoints answer without a token, as kube-apiserver's do for probes.
    if (['/healthz', '/livez', '/readyz'].includes(url.pathname)) {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
      return;
    }
    const user = this.identify(req);
    const info = requestInfo(req.method ?? 'GET', url.pathname, url.searchParams);
    switch (info.type) {
      case 'version':
        return sendJson(res, 200, versionInfo(this.opts.kubernetesVersion()));
      case 'discovery':
        return sendJson(res, 200, discovery(info.path, this.opts.serverAddress));
      case 'openapi':
        return openapiV2(req, res, info.path);
      case 'resource':
        if (info.kind === K.pods && info.subresource === 'log') return this.podLog(info, url.searchParams, req, res, user);
        if (info.kind === K.selfsubjectaccessreviews) return reviewSelfAccess(info, req, res, user);
        if (info.kind === K.pods && info.subresource === 'ephemeralcontainers') return handleEphemeralContainers(this.resources, info, req, res, url.searchParams, user);
        return handleResource(this.resources, info, req, res, url.searchParams, user);
    }
  }

  private async podLog(info: ResourceRequest, query: URLSearchParams, req: IncomingMessage, res: ServerResponse, user: Identity): Promise<void> {
    void user;
    const pod = this.opts.store.mustGet(K.pods, info.namespace, info.name!);
    const container = podContainer(pod, query.get('container'), 'log');
    await this.opts.pods.log(
      pod,
      {
        container,
        follow: flag(query, 'follow'),
        timestamps: flag(query, 'timestamps'),
        previous: flag(query, 'previous'),
        ...(positiveInt(query, 'tailLines') !== undefined ? { tailLines: positiveInt(query, 'tailLines') } : {}),
        ...(positiveInt(query, 'sinceSeconds') !== undefined ? { sinceSeconds: positiveInt(query, 'sinceSeconds') } : {}),
        ...(query.get('sinceTime') ? { sinceTime: query.get('sinceTime')! } : {}),
        ...(positiveInt(query, 'limitBytes') !== undefined ? { limitBytes: positiveInt(query, 'limitBytes') } : {}),
      },
      res,
      req,
    );
  }

  /** `Upgrade:` requests: exec, attach and port-forward over SPDY or WebSocket. */
  readonly upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    try {
      const url = new URL(req.url ?? '/', 'https://lab');
      const user = this.identify(req);
      const info = requestInfo(req.method ?? 'GET', url.pathname, url.searchParams);
      if (info.type !== 'resource' || info.kind !== K.pods || !info.name || !['exec', 'attach', 'portforward'].includes(info.subresource ?? '')) {
        throw badRequest('only pods/exec, pods/attach and pods/portforward can be upgraded');
      }
      if (user.readOnly) throw forbidden(user.user, 'create', { group: '', resource: `pods/${info.subresource}` }, info.namespace, "the lab's service-account tokens may read, not change");
      const pod = this.opts.store.mustGet(K.pods, info.namespace, info.name);
      const query = url.searchParams;
      if (info.subresource === 'portforward') {
        const ports = query.getAll('ports').flatMap((p) => p.split(',')).filter(Boolean).map(Number);
        this.opts.pods.portForward(pod, ports, req, socket, head);
        return;
      }
      const streams = {
        container: podContainer(pod, query.get('container'), info.subresource!),
        stdin: flag(query, 'stdin'),
        stdout: flag(query, 'stdout'),
        stderr: flag(query, 'stderr'),
        tty: flag(query, 'tty'),
      };
      if (info.subresource === 'attach') {
        this.opts.pods.attach(pod, streams, req, socket, head);
        return;
      }
      const command = query.getAll('command');
      if (command.length === 0) throw badRequest('you must specify at least 1 command');
      this.opts.pods.exec(pod, { ...streams, command }, req, socket, head);
    } catch (err) {
      const status = err instanceof ApiError ? err : new ApiError(500, 'InternalError', err instanceof Error ? err.message : String(err));
      const body = JSON.stringify(status.toStatus());
      socket.end(
        `HTTP/1.1 ${status.code} ${status.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
  };
}
