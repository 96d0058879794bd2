// What the engine holds for a lab, read directly from Docker, to check the lab's own claims against.
import Docker from 'dockerode';
import { LABELS } from '../../../src-main/lab/docker/engine';
import { demuxBuffer } from '../../../src-main/lab/runtime/docker-ops';

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

/** Runs a command in a container straight through the engine (not through the lab). */
export async function dockerExec(name: string, cmd: string[], user?: string): Promise<{ code: number; out: string }> {
  const container = docker.getContainer(name);
  const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, User: user });
  const stream = await exec.start({});
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  const info = await exec.inspect();
  return { code: info.ExitCode ?? -1, out: demuxBuffer(Buffer.concat(chunks)) };
}
