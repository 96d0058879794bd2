// `apply` on a running lab: Services and Istio resources laid over it, pushed to the node and every sidecar.
import { connectEngine } from '../docker/engine';
import { proxyConfigFor } from '../mesh/proxy-config';
import { agentEnvFor } from './agent-env';
import { containerName } from '../plan/names';
import { readLabRecord, writeLabRecord } from '../runtime/lab';
import { pushNodeConfig, pushProxyConfig } from '../runtime/push';
import { configVersion, nodeConfig, prepareLab, serviceRecords } from './prepare';

export async function applyToLab(lab: string, file: string, log: (message: string) => void): Promise<void> {
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
  log(`node: ${node.services.length} Services, ${Object.keys(node.dns).length} DNS names`);
  const version = configVersion(prepared);
  for (const pod of prepared.plan.pods.filter((p) => p.sidecar)) {
    const config = JSON.stringify(proxyConfigFor(prepared.plan, pod, version, agentEnvFor(prepared.documents, prepared.plan, pod)));
    await pushProxyConfig(docker, containerName(lab, pod.namespace, pod.name, 'istio-proxy'), config);
    log(`${pod.namespace}/${pod.name}: sidecar configuration ${version}`);
  }
  writeLabRecord({
    ...record,
    run: { ...record.run, applied, nodeConfig: node, services: serviceRecords(prepared.plan) },
  });
}
