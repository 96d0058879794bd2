// pods/exec and pods/attach: the client's streams over SPDY or a WebSocket, handed to the lab's
// handler, and the handler's outcome written back as the kubelet reports it on the error stream.
import type { IncomingMessage } from 'node:http';
import type { Duplex, Readable, Writable } from 'node:stream';
import { openSpdyExecStreams, openWebSocketExecStreams, type ExecStreams } from './exec-transports';
import { parseExecQuery, type ExecQuery } from './exec-query';
import { goList, isWebSocketRequest, writeHttpError } from './handshake';
import { readResizeEvents, type TerminalSize } from './resize';
import { exitCodeStatus, internalErrorStatus, statusJson, successStatus, type Status } from './status';

export type { TerminalSize } from './resize';

/** One exec or attach, as the lab's handler sees it. */
export interface ExecSession {
  kind: 'exec' | 'attach';
  /** Empty for attach. */
  command: string[];
  container: string | undefined;
  tty: boolean;
  /** Present when the client asked for it; ends when the client closes its stdin. */
  stdin?: Readable;
  stdout?: Writable;
  /** Never present with a tty: the terminal merges it into stdout. */
  stderr?: Writable;
  /** Called with each terminal size the client sends; the latest one at once when registered. */
  onResize(listener: (size: TerminalSize) => void): void;
  /** Aborted when the client goes away or the session is torn down: stop the command. */
  signal: AbortSignal;
  transport: 'spdy' | 'websocket';
  /** The negotiated stream protocol, for example `v4.channel.k8s.io`. */
  protocol: string;
}

export interface ExecOutcome {
  exitCode: number;
  /** What the runtime says of a non-zero exit; containerd's wording by default. */
  message?: string;
}

export interface ExecOptions {
  /**
   * Runs the command. Resolve once everything it wrote to stdout/stderr has been written (for a
   * child process, on its 'close'); throw when it could not run at all.
   */
  run(session: ExecSession): Promise<ExecOutcome | void>;
  /** How long the client may take to open its streams (Kubernetes: 30 s). */
  streamCreationTimeoutMs?: number;
  /** How long to wait, after the status, for the client to close the connection (15 min). */
  finishTimeoutMs?: number;
  /** Tears the session down (for example when the lab goes down). */
  signal?: AbortSignal;
}

export function handleExec(req: IncomingMessage, socket: Duplex, head: Buffer, options: ExecOptions): Promise<void> {
  return handle('exec', req, socket, head, options);
}

export function handleAttach(req: IncomingMessage, socket: Duplex, head: Buffer, options: ExecOptions): Promise<void> {
  return handle('attach', req, socket, head, options);
}

async function handle(
  kind: 'exec' | 'attach',
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  options: ExecOptions,
): Promise<void> {
  socket.on('error', () => {});
  const query = parseExecQuery(req.url);
  if ('error' in query) return writeHttpError(socket, 400, query.error);
  const timeouts = {
    streamCreationMs: options.streamCreationTimeoutMs ?? 30_000,
    finishMs: options.finishTimeoutMs ?? 15 * 60_000,
  };
  const streams = isWebSocketRequest(req)
    ? await openWebSocketExecStreams(req, socket, head, query, timeouts)
    : await openSpdyExecStreams(req, socket, head, query, timeouts);
  if (!streams) return;
  await runSession(kind, query, streams, options);
}

function endAndWait(stream: Writable | undefined): Promise<void> {
  if (!stream || stream.writableFinished || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('finish', resolve);
    stream.once('close', resolve);
    if (!stream.writableEnded) stream.end();
  });
}

function outcomeStatus(kind: 'exec' | 'attach', command: string[], outcome: ExecOutcome | void): Status {
  if (kind === 'attach' || !outcome || outcome.exitCode === 0) return successStatus();
  const { exitCode } = outcome;
  return exitCodeStatus(exitCode, outcome.message ?? `error executing command ${goList(command)}, exit code ${exitCode}`);
}

async function runSession(kind: 'exec' | 'attach', query: ExecQuery, streams: ExecStreams, options: ExecOptions): Promise<void> {
  const abort = new AbortController();
  const stop = (): void => abort.abort();
  options.signal?.addEventListener('abort', stop, { once: true });
  void streams.gone.then(stop);

  const listeners: Array<(size: TerminalSize) => void> = [];
  let lastSize: TerminalSize | undefined;
  if (streams.resize) {
    readResizeEvents(streams.resize, (size) => {
      lastSize = size;
      for (const listener of listeners) listener(size);
    });
  }
  const session: ExecSession = {
    kind,
    command: kind === 'exec' ? query.command : [],
    container: query.container,
    tty: query.tty,
    stdin: streams.stdin,
    stdout: streams.stdout,
    stderr: streams.stderr,
    onResize(listener) {
      listeners.push(listener);
      if (lastSize) listener(lastSize);
    },
    signal: abort.signal,
    transport: streams.transport,
    protocol: streams.protocol,
  };

  let status: Status;
  try {
    status = outcomeStatus(kind, query.command, await options.run(session));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    status = internalErrorStatus(
      kind === 'exec' ? `error executing command in container: ${message}` : `error attaching to container: ${message}`,
    );
  }
  await Promise.all([endAndWait(streams.stdout), endAndWait(streams.stderr)]);
  // v4 and later send the Status as JSON; the older protocols send only a failure's message.
  if (streams.statusAsJson) await streams.writeError(statusJson(status));
  else if (status.status === 'Failure' && status.message) await streams.writeError(status.message);
  await streams.finish(options.signal?.aborted ?? false);
  options.signal?.removeEventListener('abort', stop);
  abort.abort();
}
