// The kubeconfig istioctl reads (--kubeconfig, else $KUBECONFIG, else the running lab's), and the cluster, user and namespace of its context.
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { IstioctlError } from '../errors';

/** What a client needs of one kubeconfig context to talk to its API server. */
export interface KubeTarget {
  context: string;
  server: string;
  /** PEM of the CA the server's certificate must chain to; none: the system's CAs. */
  ca?: string;
  insecure: boolean;
  token?: string;
  cert?: string;
  key?: string;
  username?: string;
  password?: string;
  /** The context's namespace: istioctl's default for `-n`. */
  namespace: string;
}

type Named<T> = { name?: unknown } & Partial<Record<string, T>>;
const record = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function entry(list: unknown, name: string, field: string): Record<string, unknown> | undefined {
  if (!Array.isArray(list)) return undefined;
  const found = (list as Named<unknown>[]).find((e) => record(e).name === name);
  return found ? record(record(found)[field]) : undefined;
}

/** Inline `*-data` (base64) wins over the file it stands for, as client-go's loader does. */
function material(from: Record<string, unknown>, field: string, file: string, what: string): string | undefined {
  const data = str(from[`${field}-data`]);
  if (data) return Buffer.from(data, 'base64').toString('utf8');
  const path = str(from[field]);
  if (!path) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new IstioctlError(`${file}: ${what} ${path}: ${(err as Error).message}`);
  }
}

/** Resolves `contextName` (or the current context) of the kubeconfig text read from `file`. */
export function kubeTargetFrom(text: string, file: string, contextName?: string): KubeTarget {
  let doc: Record<string, unknown>;
  try {
    doc = record(parse(text));
  } catch (err) {
    throw new IstioctlError(`${file}: not a kubeconfig: ${(err as Error).message.split('\n')[0]}`);
  }
  const context = contextName || str(doc['current-context']);
  if (!context) throw new IstioctlError(`${file}: no current-context is set and no --context was given`);
  const ctx = entry(doc['contexts'], context, 'context');
  // client-go's message for a context that is not there.
  if (!ctx) throw new IstioctlError(`context "${context}" does not exist`);
  const clusterName = str(ctx['cluster']) ?? '';
  const cluster = entry(doc['clusters'], clusterName, 'cluster');
  if (!cluster) throw new IstioctlError(`${file}: context "${context}": cluster "${clusterName}" not found`);
  const server = str(cluster['server']);
  if (!server) throw new IstioctlError(`${file}: cluster "${clusterName}": no server`);
  const user = entry(doc['users'], str(ctx['user']) ?? '', 'user') ?? {};
  if (user['exec'] || user['auth-provider']) {
    throw new IstioctlError(`${file}: user "${String(ctx['user'])}": exec and auth-provider credentials are not implemented by the lab's istioctl`);
  }
  const target: KubeTarget = {
    context,
    server: server.replace(/\/+$/, ''),
    insecure: cluster['insecure-skip-tls-verify'] === true,
    namespace: str(ctx['namespace']) ?? 'default',
  };
  const ca = material(cluster, 'certificate-authority', file, 'certificate-authority');
  if (ca) target.ca = ca;
  const token = str(user['token']) ?? (str(user['tokenFile']) ? readFileSync(String(user['tokenFile']), 'utf8').trim() : undefined);
  if (token) target.token = token;
  const cert = material(user, 'client-certificate', file, 'client-certificate');
  const key = material(user, 'client-key', file, 'client-key');
  if (cert) target.cert = cert;
  if (key) target.key = key;
  if (str(user['username'])) target.username = String(user['username']);
  if (str(user['password'])) target.password = String(user['password']);
  return target;
}

export interface KubeconfigChoice {
  /** `--kubeconfig`/`-c`. */
  flag?: string;
  /** `$KUBECONFIG` (the first of its colon-separated files that exists). */
  env?: string;
  /** The running lab's kubeconfig, when neither is given (istioctl would read ~/.kube/config). */
  labFallback: () => string | undefined;
}

/** The kubeconfig file istioctl reads, in its order: the flag, $KUBECONFIG, then (the lab's stand-in for ~/.kube/config) the lab's. */
export function kubeconfigPath(choice: KubeconfigChoice): string {
  if (choice.flag) {
    if (!existsSync(choice.flag)) throw new IstioctlError(`stat ${choice.flag}: no such file or directory`);
    return choice.flag;
  }
  const fromEnv = (choice.env ?? '').split(':').filter((p) => p !== '');
  const existing = fromEnv.find((p) => existsSync(p));
  if (existing) return existing;
  const lab = choice.labFallback();
  if (lab) return lab;
  throw new IstioctlError(
    'no kubeconfig: set KUBECONFIG or --kubeconfig (`eval $(sidecar-lab kubeconfig)` points at the running lab), or start a lab with `sidecar-lab up`',
  );
}
