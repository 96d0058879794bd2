// The container runtime's half of pods/attach: the client joins the streams of the container's own process (docker attach), as the kubelet's CRI attach does; stdin only when the container keeps it open.
import type Docker from 'dockerode';
import type { KubeObject } from './objects';
import { joinSession, type Hijacked } from './hijacked-session';
import { dockerContainer, dockerExec } from './pod-exec';
import type { ExecOutcome, ExecSession } from './streams/exec';

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
  // Detaching leaves the process running, as kubectl's Ctrl-P Ctrl-Q (or a closed connection) does on a cluster.
  await joinSession(docker, stream, session, {
    tty: info.Config.Tty,
    // The client closed its stdin: so does the process's, when the container asked for stdinOnce.
    endStdin: info.Config.StdinOnce,
    resize: info.Config.Tty ? (size) => container.resize(size) : undefined,
  });
  return { exitCode: 0 };
}
