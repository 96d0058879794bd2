// `apply FILE` and `logs POD`: change a running lab's Services and Istio resources; read a container's log.
import { connectEngine } from '../lab/docker/engine';
import { containerLogs } from '../lab/runtime/docker-ops';
import { findExecTarget } from '../lab/runtime/exec';
import { labStatus } from '../lab/runtime/status';
import type { CliIO } from './output';
import { applyToLab } from '../lab/session';

export async function applyCommand(lab: string, file: string, io: CliIO): Promise<number> {
  await applyToLab(lab, file, (m) => io.err(`apply: ${m}`));
  return 0;
}

export async function logsCommand(
  lab: string,
  pod: string,
  namespace: string | undefined,
  container: string | undefined,
  tail: number | undefined,
  io: CliIO,
): Promise<number> {
  const docker = await connectEngine();
  const status = await labStatus(docker, lab);
  const target = findExecTarget(status, pod, namespace, container, { running: false });
  const text = await containerLogs(docker.getContainer(target.dockerName), tail);
  if (text) process.stdout.write(text);
  else io.err(`(no output from ${target.pod.namespace}/${target.pod.name} ${target.container})`);
  return 0;
}
