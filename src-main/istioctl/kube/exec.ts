// istioctl's PodExec: a command run in a pod's container through pods/exec (SPDY, v4.channel.k8s.io), its stdout and stderr collected.
import type { Readable } from 'node:stream';
import type { KubeClient } from './client';

/** The remotecommand protocol whose error stream carries a JSON Status (client-go's streamProtocolV4). */
export const EXEC_PROTOCOL = 'v4.channel.k8s.io';

export interface ExecResult {
  stdout: string;
  stderr: string;
}

function collect(stream: Readable): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    stream.on('data', (c: Buffer) => (text += c.toString('utf8')));
    stream.on('end', () => resolve(text));
    stream.on('close', () => resolve(text));
  });
}

interface Status {
  status?: string;
  message?: string;
  reason?: string;
  details?: { causes?: { reason?: string; message?: string }[] };
}

/** client-go's errorDecoderV4: Success is no error; a non-zero exit and any other failure are worded as client-go words them. */
export function execStatusError(text: string): string | undefined {
  if (text.trim() === '') return undefined;
  let status: Status;
  try {
    status = JSON.parse(text) as Status;
  } catch {
    return `error stream protocol error: ${text}`;
  }
  if (status.status === 'Success') return undefined;
  if (status.reason === 'NonZeroExitCode') {
    const code = status.details?.causes?.find((c) => c.reason === 'ExitCode')?.message ?? '';
    return `command terminated with exit code ${code}`;
  }
  return `error executing remote command: ${status.message ?? text}`;
}

/** pkg/kube's PodExec: `command` split on white space, stdout and stderr attached, no stdin or terminal; errors name the pod and container. */
export async function podExec(client: KubeClient, namespace: string, pod: string, container: string, command: string): Promise<ExecResult> {
  const words = command.split(/\s+/).filter((w) => w !== '');
  const query = new URLSearchParams();
  query.set('container', container);
  for (const w of words) query.append('command', w);
  query.set('stderr', 'true');
  query.set('stdout', 'true');
  const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/exec?${query.toString()}`;
  const fail = (why: string, stderr = ''): Error =>
    new Error(`error exec'ing into ${namespace}/${pod} ${container} container: ${why}${stderr ? `\n${stderr}` : ''}`);
  let session;
  try {
    session = await client.spdyUpgrade(path, EXEC_PROTOCOL);
  } catch (err) {
    throw fail(err instanceof Error ? err.message : String(err));
  }
  try {
    // The error stream first, half-closed (the client never writes on it), then the output streams, as client-go creates them.
    const error = await session.openStream([['streamType', 'error']], { fin: true });
    const stdout = await session.openStream([['streamType', 'stdout']], { fin: true });
    const stderr = await session.openStream([['streamType', 'stderr']], { fin: true });
    const [out, errOut, statusText] = await Promise.all([collect(stdout), collect(stderr), collect(error)]);
    const why = execStatusError(statusText);
    if (why) throw fail(why, errOut);
    return { stdout: out, stderr: errOut };
  } finally {
    session.destroy();
  }
}
