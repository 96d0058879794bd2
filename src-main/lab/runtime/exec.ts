// `exec POD -c CONTAINER -- CMD`: finds the pod's container the way kubectl does and runs a command in it.
import type Docker from 'dockerode';
import type { LabStatus, PodStatus } from './status';

export interface ExecTarget {
  pod: PodStatus;
  container: string;
  dockerName: string;
}

export function findExecTarget(
  status: LabStatus,
  podArg: string,
  namespace: string | undefined,
  containerArg: string | undefined,
  opts: { running: boolean } = { running: true },
): ExecTarget {
  const inNs = status.pods.filter((p) => !namespace || p.namespace === namespace);
  let matches = inNs.filter((p) => p.name === podArg);
  // A Deployment's pods are `<deployment>-<hash>-<suffix>`; its name alone finds them.
  if (matches.length === 0) matches = inNs.filter((p) => p.name.startsWith(`${podArg}-`));
  if (matches.length > 1 && !namespace) matches = matches.filter((p) => p.namespace === 'default');
  const names = status.pods.map((p) => `${p.namespace}/${p.name}`).join(', ');
  if (matches.length === 0) {
    throw new Error(`pod ${podArg}${namespace ? ` in namespace ${namespace}` : ''} not found in lab ${status.name} (pods: ${names})`);
  }
  if (matches.length > 1) {
    throw new Error(`pod ${podArg} is ambiguous: ${matches.map((p) => `${p.namespace}/${p.name}`).join(', ')}`);
  }
  const pod = matches[0];
  // Logs can be read from istio-init (done) too; a command runs only where something runs.
  const running = pod.containers.filter((c) => c.role !== 'pause' && (!opts.running || c.role !== 'istio-init'));
  const chosen = containerArg
    ? running.find((c) => c.name === containerArg)
    : running.find((c) => c.role === 'app');
  if (!chosen) {
    const list = running.map((c) => c.name).join(', ');
    throw new Error(
      containerArg
        ? `container ${containerArg} not found in pod ${pod.namespace}/${pod.name} (containers: ${list})`
        : `pod ${pod.namespace}/${pod.name} has no app container (containers: ${list})`,
    );
  }
  if (opts.running && chosen.state !== 'running') {
    throw new Error(`container ${chosen.name} of pod ${pod.name} is not running (${chosen.state})`);
  }
  return { pod, container: chosen.name, dockerName: chosen.dockerName };
}

/** Runs a command with the caller's stdio; resolves to the command's exit code. */
export async function execAttached(
  docker: Docker,
  target: ExecTarget,
  cmd: string[],
  opts: { stdin: boolean; tty: boolean; user?: string },
): Promise<number> {
  const container = docker.getContainer(target.dockerName);
  const exec = await container.exec({
    Cmd: cmd,
    AttachStdin: opts.stdin,
    AttachStdout: true,
    AttachStderr: true,
    Tty: opts.tty,
    User: opts.user,
  });
  const stream = await exec.start({ hijack: true, stdin: opts.stdin, Tty: opts.tty });
  const stdin = process.stdin;
  const restoreRaw = opts.tty && stdin.isTTY ? (stdin.setRawMode(true), true) : false;
  await new Promise<void>((resolve, reject) => {
    if (opts.tty) stream.pipe(process.stdout);
    else docker.modem.demuxStream(stream, process.stdout, process.stderr);
    if (opts.stdin) {
      stdin.pipe(stream);
      stdin.on('end', () => (stream as unknown as { end(): void }).end());
    }
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  if (opts.stdin) stdin.unpipe(stream);
  if (restoreRaw) stdin.setRawMode(false);
  stdin.pause();
  const info = await exec.inspect();
  return info.ExitCode ?? 1;
}
