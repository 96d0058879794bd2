// Interim ProxyAdmin for a running lab: curl to 127.0.0.1:15000 inside the pod's istio-proxy container (docker exec),
// until the lab's Kubernetes API offers port-forward as istioctl uses it.
import { connectEngine } from '../lab/docker/engine';
import { execIn } from '../lab/runtime/docker-ops';
import { findExecTarget } from '../lab/runtime/exec';
import { labsOnEngine } from '../lab/runtime/lab';
import { labStatus } from '../lab/runtime/status';
import type { PodRef, ProxyAdmin } from './proxy-admin';

export async function labProxyAdmin(labName?: string): Promise<ProxyAdmin> {
  const docker = await connectEngine();
  const labs = labName ? [labName] : await labsOnEngine(docker);
  if (labs.length === 0) throw new Error('no lab is up: `sidecar-lab up interception` starts one');
  if (labs.length > 1) throw new Error(`several labs are up (${labs.join(', ')}): set SIDECAR_LAB_LAB to one`);
  const lab = labs[0];
  return {
    async request(pod: PodRef, method: 'GET' | 'POST', path: string): Promise<string> {
      const status = await labStatus(docker, lab);
      const target = findExecTarget(status, pod.name, pod.namespace, 'istio-proxy');
      const res = await execIn(docker, docker.getContainer(target.dockerName), [
        'curl', '-sS', '--fail-with-body', '-X', method, `http://127.0.0.1:15000/${path}`,
      ]);
      if (res.exitCode !== 0) throw new Error(`${method} /${path}: ${(res.stderr || res.stdout).trim()}`);
      return res.stdout;
    },
  };
}
