// `sidecar-lab istioctl …` on the host: istioctl's bytes straight to stdout/stderr, the cluster reached through its kubeconfig.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiPaths, liveApiEndpoint } from '../lab/api/host-state';
import { stateDir } from '../lab/paths';
import type { Cluster, KubeFlags } from './cluster';
import { KubeClient } from './kube/client';
import { apiProxyAdmin } from './kube/envoy-admin';
import { podExec } from './kube/exec';
import { kubeconfigPath, kubeTargetFrom } from './kube/kubeconfig';
import { labControlPlane } from './lab-control-plane';
import { istioctlMain, type IstioctlIO } from './main';

const LAB_CONTEXT_PREFIX = 'sidecar-lab-';

/** The running lab's kubeconfig: $SIDECAR_LAB_LAB's, else the one lab whose API is up. */
function labKubeconfig(): string | undefined {
  const named = process.env['SIDECAR_LAB_LAB'];
  let labs: string[];
  try {
    labs = named ? [named] : readdirSync(join(stateDir(), 'labs'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return undefined;
  }
  const live = labs.filter((lab) => liveApiEndpoint(lab));
  return live.length === 1 ? apiPaths(live[0]).kubeconfig : undefined;
}

export async function connectCluster(flags: KubeFlags, log?: (line: string) => void): Promise<Cluster> {
  const file = kubeconfigPath({ flag: flags.kubeconfig, env: process.env['KUBECONFIG'], labFallback: labKubeconfig });
  const target = kubeTargetFrom(readFileSync(file, 'utf8'), file, flags.context);
  const client = new KubeClient(target);
  return {
    namespace: target.namespace,
    api: client,
    admin: apiProxyAdmin(client, log),
    exec: (pod, container, command) => podExec(client, pod.namespace, pod.name, container, command),
    // A lab's kubeconfig names its context after the lab: the lab then plays istiod for proxy-status.
    ...(target.context.startsWith(LAB_CONTEXT_PREFIX) ? { controlPlane: labControlPlane(target.context.slice(LAB_CONTEXT_PREFIX.length)) } : {}),
  };
}

/** `io`: where the bytes go instead of stdout/stderr (a caller of the CLI's main that captures them). */
export function runIstioctl(argv: string[], io?: IstioctlIO): Promise<number> {
  const sink = io ?? { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t) };
  return istioctlMain(argv, sink, (flags) => connectCluster(flags, (line) => sink.err(`${line}\n`)));
}
