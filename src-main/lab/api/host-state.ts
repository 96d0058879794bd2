// Where a lab's Kubernetes API keeps its state (objects, PKI, tokens, kubeconfig) and how the process serving it is found and stopped.
import { existsSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { stateDir } from '../paths';

export interface ApiEndpoint {
  /** The process serving the API (the detached host, or the window's main process). */
  pid: number;
  /** https://127.0.0.1:PORT */
  server: string;
  port: number;
  startedAt: string;
  /** Served by `sidecar-lab host` (stopped by `down`), not by a window or `serve` (which stop it themselves). */
  detached: boolean;
}

export function apiStateDir(lab: string): string {
  return join(stateDir(), 'labs', lab);
}

export const apiPaths = (lab: string) => {
  const dir = apiStateDir(lab);
  return {
    dir,
    objects: join(dir, 'objects.json'),
    pki: join(dir, 'pki'),
    tokens: join(dir, 'tokens.json'),
    kubeconfig: join(dir, 'kubeconfig'),
    endpoint: join(dir, 'api.json'),
    log: join(dir, 'host.log'),
  };
};

/** Whether a process runs. A zombie does not: a killed detached host whose new parent does not reap it still answers kill(pid, 0). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/PID/stat: "pid (comm) S …"; the state follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (not Linux): kill(pid, 0) is all there is
  }
}

export function readApiEndpoint(lab: string): ApiEndpoint | undefined {
  const file = apiPaths(lab).endpoint;
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ApiEndpoint;
  } catch {
    return undefined;
  }
}

export function writeApiEndpoint(lab: string, endpoint: ApiEndpoint): void {
  mkdirSync(apiStateDir(lab), { recursive: true, mode: 0o700 });
  writeFileSync(apiPaths(lab).endpoint, JSON.stringify(endpoint, null, 2));
}

/** The endpoint of a lab whose API process is alive. */
export function liveApiEndpoint(lab: string): ApiEndpoint | undefined {
  const endpoint = readApiEndpoint(lab);
  return endpoint && processAlive(endpoint.pid) ? endpoint : undefined;
}

/** Stops the API's host process (not this process) and forgets the lab's API state. */
export async function removeApiState(lab: string): Promise<void> {
  const endpoint = readApiEndpoint(lab);
  // Only the detached host is ours to stop: a window serving the API is another program.
  if (endpoint?.detached && endpoint.pid !== process.pid && processAlive(endpoint.pid)) {
    process.kill(endpoint.pid, 'SIGTERM');
    for (let i = 0; i < 50 && processAlive(endpoint.pid); i++) await new Promise((r) => setTimeout(r, 100));
    if (processAlive(endpoint.pid)) process.kill(endpoint.pid, 'SIGKILL');
  }
  rmSync(apiStateDir(lab), { recursive: true, force: true });
}
