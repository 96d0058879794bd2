// The environment of a shell that works on the lab as one works on a cluster: kubectl pointed at the lab's API, the lab's istioctl and `sidecar-lab` on PATH.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiPaths } from '../api/host-state';
import { repoRoot, resourcesDir, stateDir } from '../paths';

/** PATH and KUBECONFIG for `lab`, to lay over the process's own environment. */
export function clusterEnv(lab: string): { PATH: string; KUBECONFIG: string } {
  const bin = join(stateDir(), 'bin');
  mkdirSync(bin, { recursive: true });
  const shim = join(bin, 'sidecar-lab');
  // ELECTRON_RUN_AS_NODE: in the desktop app the running binary is Electron, which then acts as node.
  writeFileSync(shim, `#!/bin/sh\nELECTRON_RUN_AS_NODE=1 exec "${process.execPath}" "${join(repoRoot, 'bin', 'sidecar-lab.mjs')}" "$@"\n`);
  chmodSync(shim, 0o755);
  return { PATH: `${bin}:${join(resourcesDir, 'bin')}:${process.env['PATH'] ?? ''}`, KUBECONFIG: apiPaths(lab).kubeconfig };
}

/**
 * bash for the window's cluster shell: the user's own ~/.bashrc, then the lab's name in the prompt
 * and one line saying what the shell points at (and what is missing, when kubectl is not installed).
 */
export function clusterShell(lab: string): { argv: string[]; env: Record<string, string> } {
  const rc = join(stateDir(), 'bin', 'cluster-shell.bashrc');
  const env = clusterEnv(lab);
  writeFileSync(
    rc,
    [
      '# Written by sidecar-lab for its cluster shell: your own bashrc first, then the lab in the prompt.',
      '[ -f ~/.bashrc ] && . ~/.bashrc',
      `export PATH=${JSON.stringify(env.PATH)} KUBECONFIG=${JSON.stringify(env.KUBECONFIG)}`,
      `PS1="(sidecar-lab-${lab}) \${PS1:-\\$ }"`,
      `echo "kubectl, istioctl and sidecar-lab point at lab ${lab} (context sidecar-lab-${lab})."`,
      'command -v kubectl >/dev/null || echo "kubectl is not installed: on Debian, apt-get install kubernetes-client"',
      '',
    ].join('\n'),
  );
  return { argv: ['bash', '--rcfile', rc, '-i'], env };
}
