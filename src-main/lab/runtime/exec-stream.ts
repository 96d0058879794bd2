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
  const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, User: user });
  const stream = await exec.start({ hijack: true, stdin: false });
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
  split(stdout, onLine);
  split(stderr, onError);
  const done = new Promise<void>((resolve) => {
    stream.on('end', () => resolve());
    stream.on('close', () => resolve());
    stream.on('error', () => resolve());
  });
  return {
    done,
    // Closing our end of the hijacked connection ends the exec session on the engine.
    dispose: () => (stream as unknown as { destroy(): void }).destroy(),
  };
}
