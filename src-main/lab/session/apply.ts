// `apply` on a running lab: Services and Istio resources laid over it, pushed to the node and every sidecar.
import { connectEngine } from '../docker/engine';
import { proxyConfigFor } from '../mesh/proxy-config';
import { containerName } from '../plan/names';
import { readLabRecord, writeLabRecord } from '../runtime/lab';
import { pushNodeConfig, pushProxyConfig } from '../runtime/push';
import { configVersion, nodeConfig, prepareLab, serviceRecords } from './prepare';

export async function applyToLab(lab: string, file: string, log: (message: string) => void): Promise<void> {
  const record = readLabRecord(lab);
  if (!record?.ready) throw new Error(`lab ${lab} is not up (or still starting): nothing to apply ${file} to`);
  await pushApplied(lab, [...(record.run.applied ?? []), file], file, log);
}

/**
 * Puts the running lab's configuration back to its scenario with exactly `files` applied over it
 * (a workshop step's starting state); the pods stay as they run.
 */
export async function setAppliedFiles(lab: string, files: string[], log: (message: string) => void): Promise<void> {
  const record = readLabRecord(lab);
  if (!record?.ready) throw new Error(`lab ${lab} is not up (or still starting)`);
  await pushApplied(lab, files, files.at(-1) ?? record.run.scenario, log);
}

async function pushApplied(lab: string, applied: string[], file: string, log: (message: string) => void): Promise<void> {
  const record = readLabRecord(lab);
  if (!record?.ready) throw new Error(`lab ${lab} is not up (or still starting): nothing to apply ${file} to`);
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
  log(`node: ${node.services.length} Services, ${Object.keys(node.dns).length} DNS names`);
  const version = configVersion(prepared);
  for (const pod of prepared.plan.pods.filter((p) => p.sidecar)) {
    const config = JSON.stringify(proxyConfigFor(prepared.plan, pod, version));
    await pushProxyConfig(docker, containerName(lab, pod.namespace, pod.name, 'istio-proxy'), config);
    log(`${pod.namespace}/${pod.name}: sidecar configuration ${version}`);
  }
  writeLabRecord({
    ...record,
    run: { ...record.run, applied, nodeConfig: node, services: serviceRecords(prepared.plan) },
  });
}
