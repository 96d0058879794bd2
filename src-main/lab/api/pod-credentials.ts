// What kubelet mounts for a pod's service account (token, CA, namespace) and the terminal's kubeconfig, written where the lab's containers mount them from.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KUBERNETES_SERVICE_IP, LAB_GATEWAY } from '../plan/network';
import { apiPaths } from './host-state';
import { kubeconfigText } from './kubeconfig';
import { loadOrCreatePki } from './pki';
import { TokenAuthority } from './tokens';

/** Where kubelet mounts the service-account volume in every container. */
export const SERVICE_ACCOUNT_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';
/** Where the tap finds the kubeconfig its terminals use. */
export const TERMINAL_CONFIG_MOUNT = '/var/run/sidecar-lab';
export const TERMINAL_KUBECONFIG = `${TERMINAL_CONFIG_MOUNT}/kubeconfig`;

/** The addresses the API's certificate is valid for: loopback, the Service IP, the lab's gateway. */
export const API_SERVER_IPS = ['127.0.0.1', KUBERNETES_SERVICE_IP, LAB_GATEWAY];

/** A pod as kubelet knows it for its service account; the lab's PodRun carries these. */
export interface PodIdentity {
  namespace: string;
  name: string;
  /** Deterministic, UUID-shaped, as the API serves the pod. */
  uid: string;
  serviceAccount: string;
  /** `automountServiceAccountToken` (default true): the token, CA and namespace at kubelet's path. */
  automountToken: boolean;
  /** Set when the lab starts: the host folder mounted as the pod's service-account volume. */
  serviceAccountDir?: string;
  /** Set when the lab starts: the host folder with the terminal's kubeconfig, mounted in the tap. */
  terminalDir?: string;
}

/**
 * Writes each pod's service-account files and the terminals' kubeconfig (in-cluster address, the
 * admin's token: terminals are the user's, not the pod's), and records the folders on the pods.
 */
export async function writePodCredentials(lab: string, pods: PodIdentity[]): Promise<void> {
  const paths = apiPaths(lab);
  const pki = await loadOrCreatePki(paths.pki, API_SERVER_IPS);
  const tokens = TokenAuthority.loadOrCreate(paths.tokens);
  const terminalDir = join(paths.dir, 'terminal');
  mkdirSync(terminalDir, { recursive: true, mode: 0o755 });
  writeFileSync(
    join(terminalDir, 'kubeconfig'),
    kubeconfigText({ lab, server: 'https://kubernetes.default.svc', caCert: pki.caCert, token: tokens.adminToken }),
    { mode: 0o644 },
  );
  for (const pod of pods) {
    pod.terminalDir = terminalDir;
    if (!pod.automountToken) continue;
    const dir = join(paths.dir, 'pods', `${pod.namespace}_${pod.name}`, 'serviceaccount');
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    // Readable by any uid in the pod, as kubelet's projected volume (0644) is.
    writeFileSync(join(dir, 'token'), tokens.serviceAccountToken(pod.namespace, pod.serviceAccount, { name: pod.name, uid: pod.uid }), { mode: 0o644 });
    writeFileSync(join(dir, 'ca.crt'), pki.caCert, { mode: 0o644 });
    writeFileSync(join(dir, 'namespace'), pod.namespace, { mode: 0o644 });
    pod.serviceAccountDir = dir;
  }
}
