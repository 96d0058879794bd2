// The kubelet's part of the API for the lab's pods: container logs, exec and port-forward, served from the Docker containers that make each pod.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough, type Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { demuxBuffer } from '../runtime/docker-ops';
import { isRecord, type KubeObject } from './objects';
import type { HistoryOf } from './pod-status';
import { laterSince, logWindow } from '../kubelet/container-logs';
import type { LogOptions, PodStreams } from './server';
import { badRequest } from './status';
import { dockerAttach } from './pod-attach';
import { dockerContainer, dockerExec, podConnect } from './pod-exec';
import { handleAttach, handleExec } from './streams/exec';
import { handlePortForward } from './streams/portforward';

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
  /** What the kubelet noted of each container's runs (where the previous run's log begins). */
  historyOf?: HistoryOf;
}

export function runtimeStreams(opts: RuntimeStreamsOptions): PodStreams {
  const { docker, lab } = opts;
  return {
    async log(pod: KubeObject, o: LogOptions, res: ServerResponse, req: IncomingMessage): Promise<void> {
      const container = docker.getContainer(dockerContainer(lab, pod, o.container));
      const info = await container.inspect().catch(() => undefined);
      const status = isRecord(pod.status) ? pod.status : {};
      const entry = ['initContainerStatuses', 'containerStatuses', 'ephemeralContainerStatuses']
        .flatMap((field) => (Array.isArray(status[field]) ? (status[field] as unknown[]).filter(isRecord) : []))
        .find((s) => s.name === o.container);
      const { restartedAt, previousRestartedAt } = opts.historyOf?.(pod, o.container) ?? {};
      const history = { ...(restartedAt ? { restartedAt } : {}), ...(previousRestartedAt ? { previousRestartedAt } : {}) };
      // The one run asked for: the log of a container restarted in place holds them all.
      const window = logWindow({
        pod: pod.metadata.name,
        container: o.container,
        previous: o.previous,
        status: entry,
        running: info?.State.Running ?? false,
        ...history,
      });
      if ('error' in window) throw badRequest(window.error);
      const since = laterSince(sinceSeconds(o)?.toString(), window.since);
      // Docker takes "seconds.nanoseconds" here, though its client types say a number.
      const common = {
        stdout: true,
        stderr: true,
        timestamps: o.timestamps,
        ...(o.tailLines !== undefined ? { tail: o.tailLines } : {}),
        ...(since !== undefined ? { since: since as unknown as number } : {}),
        ...(window.until !== undefined ? { until: window.until as unknown as number } : {}),
      };
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
      const write = limited(res, o.limitBytes);
      if (!o.follow || window.until !== undefined) {
        const buffer = (await container.logs({ ...common, follow: false })) as unknown as Buffer;
        write(info?.Config.Tty ? buffer : Buffer.from(demuxBuffer(buffer)));
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
    exec(pod, o, req, socket: Duplex, head) {
      void handleExec(req, socket, head, { run: (session) => dockerExec(docker, lab, pod, o.container, session) });
    },
    attach(pod, o, req, socket: Duplex, head) {
      void handleAttach(req, socket, head, { run: (session) => dockerAttach(docker, lab, pod, o.container, session) });
    },
    portForward(pod, _ports, req, socket: Duplex, head) {
      void handlePortForward(req, socket, head, {
        connect: (port) => podConnect(docker, lab, pod, port),
        pod: pod.metadata.name,
        podUid: pod.metadata.uid ?? '',
      });
    },
  };
}
