// The container runtime's half of pods/exec, pods/attach and pods/portforward for the lab: Docker exec sessions in the pod's containers and connections from inside its network namespace.
import { Duplex, PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import type { KubeObject } from './objects';
import { containerName } from '../plan/names';
import { TRACE_WAIT_MS, waitUntilTraced } from '../runtime/capture-registry';
import type { ExecOutcome, ExecSession } from './streams/exec';
import { joinSession, sink, type Hijacked } from './hijacked-session';

/** The Docker container behind a pod's container; `tap` plays the pod's ephemeral debug container. */
export function dockerContainer(lab: string, pod: KubeObject, container: string): string {
  return containerName(lab, pod.metadata.namespace ?? 'default', pod.metadata.name, container);
}

/** Runs an exec session's command in the container as `docker exec` does, with the pod's streams and terminal size. */
export async function dockerExec(docker: Docker, lab: string, pod: KubeObject, name: string, session: ExecSession): Promise<ExecOutcome> {
  const namespace = pod.metadata.namespace ?? 'default';
  // A pod the lab's capture does not trace yet (just started) would open its first connections unseen.
  if ((await waitUntilTraced(docker, lab, namespace, pod.metadata.name, TRACE_WAIT_MS)) === 'timeout') {
    session.stderr?.write(`sidecar-lab: the lab's capture does not trace pod ${namespace}/${pod.metadata.name} yet: this command's connections may be missing from the flows\n`);
  }
  const container = docker.getContainer(dockerContainer(lab, pod, name));
  // attach: the lab's containers run their main process without a terminal to join, so attach opens a shell, as `kubectl debug` users expect.
  const command = session.kind === 'attach' ? ['sh'] : session.command;
  const exec = await container.exec({
    Cmd: command,
    AttachStdin: Boolean(session.stdin),
    AttachStdout: true,
    AttachStderr: true,
    Tty: session.tty,
  });
  const stream = (await exec.start({ hijack: true, stdin: Boolean(session.stdin), Tty: session.tty })) as unknown as Hijacked;
  // The client closed its stdin: the command's stdin ends too.
  await joinSession(docker, stream, session, { tty: session.tty, endStdin: true, resize: (size) => exec.resize(size) });
  const info = await exec.inspect();
  return { exitCode: info.ExitCode ?? 0 };
}

/**
 * A connection to `port` on the pod's loopback, opened from inside its network namespace as the
 * kubelet's port-forward does (so Envoy's 127.0.0.1:15000 admin port is reachable).
 */
export async function podConnect(docker: Docker, lab: string, pod: KubeObject, port: number): Promise<Duplex> {
  const pause = docker.getContainer(dockerContainer(lab, pod, 'pause'));
  const check = await pause.exec({ Cmd: ['nc', '-z', '-w', '2', '127.0.0.1', String(port)], AttachStdout: true, AttachStderr: true });
  const checkStream = await check.start({ hijack: true, stdin: false });
  checkStream.resume();
  await new Promise<void>((resolve) => checkStream.on('end', () => resolve()).on('close', () => resolve()));
  if ((await check.inspect()).ExitCode !== 0) {
    throw new Error(`failed to connect to localhost:${port} inside namespace "${pod.metadata.name}", IPv4: dial tcp4 127.0.0.1:${port}: connect: connection refused`);
  }
  const exec = await pause.exec({ Cmd: ['nc', '-N', '127.0.0.1', String(port)], AttachStdin: true, AttachStdout: true, AttachStderr: true });
  const stream = (await exec.start({ hijack: true, stdin: true })) as unknown as Hijacked;
  const fromPod = new PassThrough();
  docker.modem.demuxStream(stream, fromPod, sink());
  const duplex = new Duplex({
    write(chunk: Buffer, _enc, cb) {
      stream.write(chunk);
      cb();
    },
    final(cb) {
      stream.end();
      cb();
    },
    read() {},
    destroy(err, cb) {
      stream.destroy();
      cb(err);
    },
  });
  fromPod.on('data', (chunk: Buffer) => duplex.push(chunk));
  let over = false;
  const ended = (): void => {
    if (over) return;
    over = true;
    duplex.push(null);
  };
  stream.on('end', ended);
  stream.on('close', ended);
  stream.on('error', ended);
  return duplex;
}
