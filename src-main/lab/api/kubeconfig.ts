// The kubeconfig of a lab's API: one cluster, user and context, named `sidecar-lab-<lab>`, as kubectl reads it.
import { stringify } from 'yaml';

export function contextName(lab: string): string {
  return `sidecar-lab-${lab}`;
}

export function kubeconfigText(opts: { lab: string; server: string; caCert: string; token: string }): string {
  const name = contextName(opts.lab);
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: opts.server, 'certificate-authority-data': Buffer.from(opts.caCert).toString('base64') } }],
    users: [{ name, user: { token: opts.token } }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: 'default' } }],
    'current-context': name,
    preferences: {},
  });
}
