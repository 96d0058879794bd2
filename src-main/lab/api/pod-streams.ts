// The kubelet's part of the API for the lab's pods: container logs, exec and port-forward, served from the Docker containers that make each pod.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough, type Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { containerName } from '../plan/names';
import { demuxBuffer } from '../runtime/docker-ops';
import type { KubeObject } from './objects';
import type { LogOptions, PodStreams } from './server';
import { badRequest } from './status';

/** The Docker container behind a pod's container; `tap` plays the pod's ephemeral debug container. */
export function dockerContainer(lab: string, pod: KubeObject, container: string): string {
  return containerName(lab, pod.metadata.namespace ?? 'default', pod.metadata.name, container);
}

function sinceSeconds(opts: LogOptions): number | undefined {
  if (opts.sinceSeconds !== undefined) return Math.floor(Date.now() / 1000) - opts.sinceSeconds;
  if (opts.sinceTime) {
    const t = Date.parse(opts.sinceTime);
    if (Number.isNaN(t)) throw badRequest(`sinceTime: ${opts.sinceTime} is not an RFC 3339 time`);
    return Math.floor(t / 1000);
  }
  return undefined;
}

/** Writes at most `limit` bytes, then ends the response, as the kubelet's limitBytes does. */
function limited(res: ServerResponse, limit: number | undefined): (chunk: Buffer) => boolean {
  let left = limit ?? Infinity;
  return (chunk) => {
    if (left <= 0) return false;
    const part = chunk.length > left ? chunk.subarray(0, left) : chunk;
    left -= part.length;
    res.write(part);
    if (left <= 0) res.end();
    return left > 0;
  };
}

export interface RuntimeStreamsOptions {
  docker: Docker;
  lab: string;
  /** exec and attach over the streaming protocols, once a handler is given. */
  exec?: PodStreams['exec'];
  attach?: PodStreams['attach'];
  portForward?: PodStreams['portForward'];
}

function refuse(socket: Duplex, what: string): void {
  const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `${what} is not served by this lab yet`, reason: 'MethodNotAllowed', code: 405 });
  socket.end(`HTTP/1.1 405 Method Not Allowed\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

export function runtimeStreams(opts: RuntimeStreamsOptions): PodStreams {
  const { docker, lab } = opts;
  return {
    async log(pod: KubeObject, o: LogOptions, res: ServerResponse, req: IncomingMessage): Promise<void> {
      if (o.previous) throw badRequest(`previous terminated container "${o.container}" in pod "${pod.metadata.name}" not found`);
      const container = docker.getContainer(dockerContainer(lab, pod, o.container));
      const since = sinceSeconds(o);
      const common = {
        stdout: true,
        stderr: true,
        timestamps: o.timestamps,
        ...(o.tailLines !== undefined ? { tail: o.tailLines } : {}),
        ...(since !== undefined ? { since } : {}),
      };
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
      const write = limited(res, o.limitBytes);
      if (!o.follow) {
        const buffer = (await container.logs({ ...common, follow: false })) as unknown as Buffer;
        const info = await container.inspect();
        write(info.Config.Tty ? buffer : Buffer.from(demuxBuffer(buffer)));
        if (!res.writableEnded) res.end();
        return;
      }
      const stream = (await container.logs({ ...common, follow: true })) as unknown as NodeJS.ReadableStream & { destroy(): void };
      const out = new PassThrough();
      out.on('data', (chunk: Buffer) => {
        if (!write(chunk)) stream.destroy();
      });
      docker.modem.demuxStream(stream, out, out);
      const finish = (): void => {
        stream.destroy();
        if (!res.writableEnded) res.end();
      };
      req.on('close', finish);
      stream.on('end', finish);
      stream.on('error', finish);
    },
    exec: opts.exec ?? ((_p, _o, _r, socket) => refuse(socket, 'pods/exec')),
    attach: opts.attach ?? ((_p, _o, _r, socket) => refuse(socket, 'pods/attach')),
    portForward: opts.portForward ?? ((_p, _o, _r, socket) => refuse(socket, 'pods/portforward')),
  };
}
