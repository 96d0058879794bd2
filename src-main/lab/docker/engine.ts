// The one connection to the Docker engine, with an error that says how to get one when none answers.
import Docker from 'dockerode';

export const LABEL_PREFIX = 'dev.sidecarlab';
export const LABELS = {
  lab: `${LABEL_PREFIX}.lab`,
  role: `${LABEL_PREFIX}.role`,
  namespace: `${LABEL_PREFIX}.namespace`,
  pod: `${LABEL_PREFIX}.pod`,
  container: `${LABEL_PREFIX}.container`,
  owner: `${LABEL_PREFIX}.owner-pid`,
  image: `${LABEL_PREFIX}.image`,
  inputs: `${LABEL_PREFIX}.inputs`,
} as const;

export class EngineUnavailableError extends Error {
  constructor(where: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(
      `No Docker engine answers at ${where} (${why}).\n` +
        'Sidecar Lab runs its pods as Docker containers, so it needs a running engine:\n' +
        '  - Linux (Debian/Ubuntu): sudo apt-get install docker.io && sudo dockerd &\n' +
        '  - macOS/Windows: start Docker Desktop\n' +
        'or point DOCKER_HOST at an engine that runs.',
    );
    this.name = 'EngineUnavailableError';
  }
}

function describeEndpoint(): string {
  return process.env['DOCKER_HOST'] ?? '/var/run/docker.sock';
}

let shared: Docker | undefined;

/** A connected engine; pings it first so that callers fail early with a clear message. */
export async function connectEngine(): Promise<Docker> {
  if (shared) return shared;
  const docker = new Docker();
  try {
    await docker.ping();
  } catch (err) {
    throw new EngineUnavailableError(describeEndpoint(), err);
  }
  shared = docker;
  return docker;
}

/** Reads a Docker progress stream to its end, passing each JSON message on and failing on `error`. */
export function followStream(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  onMessage: (message: DockerStreamMessage) => void,
): Promise<DockerStreamMessage[]> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, output: DockerStreamMessage[]) => {
        if (err) return reject(err);
        const failed = output.find((m) => m.error);
        if (failed) return reject(new Error(failed.error));
        resolve(output);
      },
      (message: DockerStreamMessage) => onMessage(message),
    );
  });
}

export interface DockerStreamMessage {
  stream?: string;
  status?: string;
  progress?: string;
  error?: string;
  aux?: { ID?: string };
}
