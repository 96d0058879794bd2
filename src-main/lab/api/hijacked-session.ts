// A client's exec or attach session joined to a hijacked Docker stream (an exec's or a container's own process): output, input, terminal size and the client's going away.
import { Writable } from 'node:stream';
import type Docker from 'dockerode';
import type { ExecSession } from './streams/exec';

/** Docker's hijacked connection: the process's stdin one way, its (multiplexed, without a terminal) output the other. */
export type Hijacked = NodeJS.ReadWriteStream & { destroy(): void; end(): void };

/** Where output the client did not ask for goes. */
export const sink = (): Writable => new Writable({ write: (_c, _e, cb) => cb() });

export interface JoinOptions {
  /** The process has a terminal: its output comes raw, stdout and stderr merged. */
  tty: boolean;
  /** The client closing its stdin closes the process's too (a half-close of the hijacked connection). */
  endStdin: boolean;
  /** Sets the process's terminal size; without it the client's resizes are ignored. */
  resize?: (size: { h: number; w: number }) => Promise<unknown>;
}

/** Joins `stream` to the session until it ends, is closed or fails; the client going away destroys it. */
export async function joinSession(docker: Docker, stream: Hijacked, session: ExecSession, opts: JoinOptions): Promise<void> {
  const stdout = session.stdout ?? sink();
  if (opts.tty) stream.on('data', (chunk: Buffer) => stdout.write(chunk));
  else docker.modem.demuxStream(stream, stdout, session.stderr ?? sink());
  if (session.stdin) {
    session.stdin.on('data', (chunk: Buffer) => stream.write(chunk));
    if (opts.endStdin) session.stdin.on('end', () => stream.end());
  }
  const { resize } = opts;
  if (resize) {
    session.onResize((size) => {
      resize({ h: Math.max(size.height, 1), w: Math.max(size.width, 1) }).catch(() => undefined);
    });
  }
  session.signal.addEventListener('abort', () => stream.destroy());
  await new Promise<void>((resolve) => {
    stream.on('end', () => resolve());
    stream.on('close', () => resolve());
    stream.on('error', () => resolve());
  });
}
