// `apply FILE` and `logs POD`: change a running lab's Services and Istio resources; read a container's log.
import { connectEngine } from '../lab/docker/engine';
import { proxyConfigFor } from '../lab/mesh/proxy-config';
import { containerLogs } from '../lab/runtime/docker-ops';
import { findExecTarget } from '../lab/runtime/exec';
import { readLabRecord, writeLabRecord } from '../lab/runtime/lab';
import { pushNodeConfig, pushProxyConfig } from '../lab/runtime/push';
import { labStatus } from '../lab/runtime/status';
import type { CliIO } from './output';
import { configVersion, nodeConfig, prepareLab, serviceRecords } from './up-command';

export async function applyCommand(lab: string, file: string, io: CliIO): Promise<number> {
  const record = readLabRecord(lab);
  if (!record?.ready) throw new Error(`lab ${lab} is not up (or still starting): nothing to apply ${file} to`);
  const applied = [...(record.run.applied ?? []), file];
  // Parsed and planned in full before anything is pushed: a bad file changes nothing.
  const prepared = await prepareLab(record.run.scenario, applied);
  const running = new Map(record.run.pods.map((p) => [`${p.namespace}/${p.name}`, p.ip]));
  for (const pod of prepared.plan.pods) {
    if (running.get(`${pod.namespace}/${pod.name}`) !== pod.ip) {
      throw new Error(`${file}: would change pod ${pod.namespace}/${pod.name}; a running lab's pods cannot change`);
    }
  }
  const docker = await connectEngine();
  const node = nodeConfig(prepared.plan);
  await pushNodeConfig(docker, lab, node);
  io.err(`apply: node: ${node.services.length} Services, ${Object.keys(node.dns).length} DNS names`);
  const version = configVersion(prepared);
  for (const pod of prepared.plan.pods.filter((p) => p.sidecar)) {
    await pushProxyConfig(docker, `${pod.dockerPrefix}-istio-proxy`, JSON.stringify(proxyConfigFor(prepared.plan, pod, version)));
    io.err(`apply: ${pod.namespace}/${pod.name}: sidecar configuration ${version}`);
  }
  writeLabRecord({
    ...record,
    run: { ...record.run, applied, nodeConfig: node, services: serviceRecords(prepared.plan) },
  });
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
