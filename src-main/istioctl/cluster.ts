// What istioctl's commands reach of a cluster: its API (reads), pods' Envoy admin, and (in the lab) what the control plane would push now.
import type { Parsed } from './flags';
import { flagString } from './flags';
import type { PodRef, ProxyAdmin } from './proxy-admin';

/** istioctl's root flags that choose the cluster. */
export interface KubeFlags {
  kubeconfig: string;
  context: string;
}

export function kubeFlags(p: Parsed): KubeFlags {
  return { kubeconfig: flagString(p, 'kubeconfig'), context: flagString(p, 'context') };
}

/** Reads from the Kubernetes API; KubeClient is one, unit tests give a map of paths. */
export interface KubeReader {
  get<T = Record<string, unknown>>(path: string): Promise<T>;
  /** undefined for a 404: an object that is not there, or a kind the server does not serve. */
  getOptional<T = Record<string, unknown>>(path: string): Promise<T | undefined>;
  /** POST of an object that is answered, not stored (a SelfSubjectAccessReview); KubeClient has it. */
  create?<T = Record<string, unknown>>(path: string, body: unknown): Promise<T>;
}

/** The lab's stand-in for istiod: what it pushed last, and what it would send a proxy now. */
export interface ControlPlane {
  /** The name shown in proxy-status's ISTIOD column. */
  id: string;
  /** The configuration version the lab has pushed to every sidecar. */
  version(): Promise<string>;
  /** The Envoy config dump the control plane would give this pod's sidecar now (no `last_updated`). */
  expectedDump(pod: PodRef): Promise<{ configs: unknown[] }>;
}

export interface Cluster {
  /** The kubeconfig context's namespace: istioctl's default for `-n`. */
  namespace: string;
  api: KubeReader;
  admin: ProxyAdmin;
  /** pods/exec: a command (split on white space) in one of the pod's containers; the lab's clusters have it. */
  exec?: (pod: PodRef, container: string, command: string) => Promise<{ stdout: string; stderr: string }>;
  controlPlane?: ControlPlane;
}

export type ConnectCluster = (flags: KubeFlags) => Promise<Cluster>;

interface PodList {
  items: { metadata: { name: string; namespace: string; creationTimestamp?: string }; status?: { phase?: string } }[];
}

/** A `deployment/NAME` reference becomes its first running pod, as kubectl's AttachablePodForObject picks one. */
export async function resolvePod(api: KubeReader, ref: PodRef): Promise<PodRef> {
  if (!ref.deployment) return ref;
  const ns = encodeURIComponent(ref.namespace);
  const deploy = await api.getOptional<{ spec?: { selector?: { matchLabels?: Record<string, string> } } }>(
    `/apis/apps/v1/namespaces/${ns}/deployments/${encodeURIComponent(ref.name)}`,
  );
  if (!deploy) throw new Error(`deployments.apps "${ref.name}" not found`);
  const labels = deploy.spec?.selector?.matchLabels ?? {};
  const selector = Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');
  const pods = await api.get<PodList>(`/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(selector)}`);
  const running = pods.items.filter((p) => p.status?.phase === 'Running');
  const chosen = (running.length > 0 ? running : pods.items)[0];
  if (!chosen) throw new Error(`no pods found for deployment ${ref.name}`);
  return { name: chosen.metadata.name, namespace: ref.namespace };
}
