// Control-plane pushes into a running lab: the node's Services and DNS, each sidecar's configuration.
import type Docker from 'dockerode';
import type { NodeConfig } from '../../../src-pod/node-agent/config';
import { nodeContainerName } from '../plan/names';
import { execIn } from './docker-ops';

export async function pushNodeConfig(docker: Docker, lab: string, config: NodeConfig): Promise<void> {
  const node = docker.getContainer(nodeContainerName(lab));
  const result = await execIn(docker, node, ['node-agent', 'apply'], { stdin: JSON.stringify(config) });
  if (result.exitCode !== 0) throw new Error(`node of lab ${lab} refused the Services: ${result.stderr.trim()}`);
}

/** Sends a new configuration to a running sidecar, which applies it without restarting. */
export async function pushProxyConfig(docker: Docker, dockerName: string, config: string): Promise<void> {
  const proxy = docker.getContainer(dockerName);
  const result = await execIn(
    docker,
    proxy,
    ['curl', '-sS', '--fail-with-body', '-X', 'POST', '-H', 'content-type: application/json', '--data-binary', '@-', 'http://127.0.0.1:15000/lab/config'],
    { stdin: config },
  );
  if (result.exitCode !== 0) {
    throw new Error(`${dockerName} refused its configuration: ${(result.stdout + result.stderr).trim()}`);
  }
}
