// What the engine holds for a lab, read directly from Docker, to check the lab's own claims against.
import Docker from 'dockerode';
import { LABELS } from '../../../src-main/lab/docker/engine';
import { execIn } from '../../../src-main/lab/runtime/docker-ops';

export const docker = new Docker();

export async function labResources(lab?: string): Promise<string[]> {
  const filters = { label: [lab ? `${LABELS.lab}=${lab}` : LABELS.lab] };
  const containers = await docker.listContainers({ all: true, filters });
  const networks = await docker.listNetworks({ filters });
  const volumes = (await docker.listVolumes({ filters })).Volumes ?? [];
  return [
    ...containers.map((c) => `container ${c.Names[0]}`),
    ...networks.map((n) => `network ${n.Name}`),
    ...volumes.map((v) => `volume ${v.Name}`),
  ];
}

/** Runs a command in a container straight through the engine (not through the lab's command line). */
export async function dockerExec(name: string, cmd: string[], user?: string): Promise<{ code: number; out: string }> {
  const result = await execIn(docker, docker.getContainer(name), cmd, { user });
  return { code: result.exitCode, out: result.stdout + result.stderr };
}
