// The container runtime's half of pods/attach: the client joins the streams of the container's own process (docker attach), as the kubelet's CRI attach does; stdin only when the container keeps it open.
import { Writable } from 'node:stream';
import type Docker from 'dockerode';
import type { KubeObject } from './objects';
import { dockerContainer, dockerExec } from './pod-exec';
import type { ExecOutcome, ExecSession } from './streams/exec';

const sink = (): Writable => new Writable({ write: (_c, _e, cb) => cb() });

type Hijacked = NodeJS.ReadWriteStream & { destroy(): void; end(): void };

/**
 * Attaches to the container's main process. A container started with stdin open (an ephemeral
 * container from `kubectl debug -i`, or one with `stdin: true`) takes the client's input; the
 * lab's other containers run their process with no terminal to join, so for them the lab keeps
 * its earlier answer, a shell in the container.
 */
export async function dockerAttach(docker: Docker, lab: string, pod: KubeObject, name: string, session: ExecSession): Promise<ExecOutcome> {
  const container = docker.getContainer(dockerContainer(lab, pod, name));
  const info = await container.inspect();
  if (!info.Config.OpenStdin) return dockerExec(docker, lab, pod, name, session);
  if (!info.State.Running) throw new Error(`container ${name} is not running`);
  const stdin = Boolean(session.stdin);
  const stream = (await container.attach({ stream: true, stdin, stdout: true, stderr: true, hijack: true })) as unknown as Hijacked;
  const stdout = session.stdout ?? sink();
  if (info.Config.Tty) stream.on('data', (chunk: Buffer) => stdout.write(chunk));
  else docker.modem.demuxStream(stream, stdout, session.stderr ?? sink());
  if (session.stdin) {
    session.stdin.on('data', (chunk: Buffer) => stream.write(chunk));
    // The client closed its stdin: so does the process's, when the container asked for stdinOnce.
    session.stdin.on('end', () => {
      if (info.Config.StdinOnce) stream.end();
    });
  }
  if (info.Config.Tty) {
    session.onResize((size) => {
      container.resize({ h: Math.max(size.height, 1), w: Math.max(size.width, 1) }).catch(() => undefined);
    });
  }
  // Detaching leaves the process running, as kubectl's Ctrl-P Ctrl-Q (or a closed connection) does on a cluster.
  session.signal.addEventListener('abort', () => stream.destroy());
  await new Promise<void>((resolve) => {
    stream.on('end', () => resolve());
    stream.on('close', () => resolve());
    stream.on('error', () => resolve());
  });
  return { exitCode: 0 };
}
