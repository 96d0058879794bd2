// A long-running command in a container whose output is read line by line (traces, flow events), until disposed.
import type Docker from 'dockerode';
import { PassThrough } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

export interface LineStream {
  /** Resolves when the command's output ends (it exited, or the stream was disposed). */
  done: Promise<void>;
  dispose(): void;
}

export async function execLines(
  docker: Docker,
  containerName: string,
  cmd: string[],
  onLine: (line: string) => void,
  onError: (line: string) => void = () => {},
  user?: string,
): Promise<LineStream> {
  const container = docker.getContainer(containerName);
  // The command says its pid first (then becomes the command): the engine does not stop an exec's
  // process when its stream closes, so dispose() stops it by that pid. Otherwise a monitor that
  // prints rarely (`xtables-monitor --event`) would live on until its next write failed.
  const wrapped = ['sh', '-c', 'echo "exec-stream pid $$" >&2; exec "$@"', 'sh', ...cmd];
  const exec = await container.exec({ Cmd: wrapped, AttachStdout: true, AttachStderr: true, User: user });
  const stream = await exec.start({ hijack: true, stdin: false });
  // The pid is stopped in this very container, by its id: under the same name a pod made again
  // (`kubectl delete pod` then `apply`) runs a new container whose first processes get the same
  // pids, and a kill by name would stop the new pod's own monitor.
  const containerId = (await exec.inspect()).ContainerID;
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  docker.modem.demuxStream(stream, stdout, stderr);
  const split = (out: PassThrough, each: (line: string) => void): void => {
    const decoder = new StringDecoder('utf8');
    let rest = '';
    out.on('data', (chunk: Buffer) => {
      const text = rest + decoder.write(chunk);
      const lines = text.split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) if (line) each(line);
    });
  };
  let pid: number | undefined;
  split(stdout, onLine);
  split(stderr, (line) => {
    const said = pid === undefined ? /^exec-stream pid (\d+)$/.exec(line) : null;
    if (said) pid = Number(said[1]);
    else onError(line);
  });
  const done = new Promise<void>((resolve) => {
    stream.on('end', () => resolve());
    stream.on('close', () => resolve());
    stream.on('error', () => resolve());
  });
  let disposed = false;
  return {
    done,
    dispose: () => {
      if (disposed) return;
      disposed = true;
      // Closing our end of the hijacked connection ends the exec session on the engine; the process is stopped apart.
      (stream as unknown as { destroy(): void }).destroy();
      if (pid === undefined) return;
      void docker
        .getContainer(containerId)
        .exec({ Cmd: ['sh', '-c', `kill ${pid}`], User: user })
        .then((k) => k.start({ hijack: true, stdin: false }))
        .then((s) => s.resume())
        // Gone already (it exited, or the container did): nothing to stop.
        .catch(() => undefined);
    },
  };
}
