// Small dockerode operations the runtime composes: create-and-start, wait, logs, exec, remove by label.
import type Docker from 'dockerode';
import { LABELS } from '../docker/engine';

export async function startContainer(
  docker: Docker,
  options: Docker.ContainerCreateOptions,
): Promise<Docker.Container> {
  const container = await docker.createContainer(options);
  await container.start();
  return container;
}

/** The container's inspection, or undefined when there is no such container (or it cannot be read). */
export function inspectIfPresent(docker: Docker, dockerName: string): Promise<Docker.ContainerInspectInfo | undefined> {
  return docker
    .getContainer(dockerName)
    .inspect()
    .catch(() => undefined);
}

/** Waits for a one-shot container to exit; fails with its output when the exit code is not 0. */
export async function runToCompletion(
  container: Docker.Container,
  what: string,
): Promise<string> {
  const result = (await container.wait()) as { StatusCode: number };
  const output = await containerLogs(container);
  if (result.StatusCode !== 0) {
    throw new Error(`${what} exited with ${result.StatusCode}:\n${output.trim()}`);
  }
  return output;
}

export async function containerLogs(container: Docker.Container, tail?: number): Promise<string> {
  const buffer = (await container.logs({
    stdout: true,
    stderr: true,
    follow: false,
    ...(tail ? { tail } : {}),
  })) as unknown as Buffer;
  return demuxBuffer(buffer);
}

/** Docker multiplexes stdout/stderr with 8-byte frame headers when there is no TTY. */
export function demuxBuffer(buffer: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const kind = buffer[offset];
    const size = buffer.readUInt32BE(offset + 4);
    if (kind > 2 || buffer[offset + 1] !== 0) return buffer.toString();
    parts.push(buffer.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return Buffer.concat(parts).toString();
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs a command in a running container and collects its output as text. */
export async function execIn(
  docker: Docker,
  container: Docker.Container,
  cmd: string[],
  opts: { user?: string; stdin?: string } = {},
): Promise<ExecResult> {
  const raw = await execInRaw(docker, container, cmd, opts);
  return { exitCode: raw.exitCode, stdout: raw.stdout.toString(), stderr: raw.stderr.toString() };
}

/** The same, with the output as bytes (packet captures, archives). */
export async function execInRaw(
  docker: Docker,
  container: Docker.Container,
  cmd: string[],
  opts: { user?: string; stdin?: string } = {},
): Promise<{ exitCode: number; stdout: Buffer; stderr: Buffer }> {
  const exec = await container.exec({
    Cmd: cmd,
    AttachStdout: true,
    AttachStderr: true,
    AttachStdin: opts.stdin !== undefined,
    User: opts.user,
  });
  const stream = await exec.start({ hijack: true, stdin: opts.stdin !== undefined });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    docker.modem.demuxStream(
      stream,
      { write: (c: Buffer) => out.push(c) } as unknown as NodeJS.WritableStream,
      { write: (c: Buffer) => err.push(c) } as unknown as NodeJS.WritableStream,
    );
    stream.on('end', () => resolve());
    stream.on('close', () => resolve());
    stream.on('error', reject);
    if (opts.stdin !== undefined) {
      stream.write(opts.stdin);
      // Half-close so the command sees end of input but we still read its output.
      (stream as unknown as { end(): void }).end();
    }
  });
  const info = await exec.inspect();
  return { exitCode: info.ExitCode ?? -1, stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
}

export function labFilter(lab?: string): { label: string[] } {
  return { label: [lab ? `${LABELS.lab}=${lab}` : LABELS.lab] };
}

/** Removes every container, network and volume carrying the lab's label (all labs when `lab` is undefined). */
export async function removeLabResources(
  docker: Docker,
  lab: string | undefined,
  onRemoved: (kind: string, name: string) => void = () => {},
): Promise<number> {
  let count = 0;
  const containers = await docker.listContainers({ all: true, filters: labFilter(lab) });
  await Promise.all(
    containers.map(async (c) => {
      try {
        await docker.getContainer(c.Id).remove({ force: true, v: true });
        onRemoved('container', c.Names[0]?.replace(/^\//, '') ?? c.Id);
        count++;
      } catch (err) {
        if (!/no such container|is already in progress/i.test(String(err))) throw err;
      }
    }),
  );
  for (const n of await docker.listNetworks({ filters: labFilter(lab) })) {
    await docker.getNetwork(n.Id).remove();
    onRemoved('network', n.Name);
    count++;
  }
  const volumes = await docker.listVolumes({ filters: labFilter(lab) });
  for (const v of volumes.Volumes ?? []) {
    await docker.getVolume(v.Name).remove();
    onRemoved('volume', v.Name);
    count++;
  }
  return count;
}
