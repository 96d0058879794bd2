// What pilot-agent reads from istio-proxy's environment: the app's probes (ISTIO_KUBE_APP_PROBERS) and its scrape target (ISTIO_PROMETHEUS_ANNOTATIONS).
import type { Reader } from '../config-reader';

/** The names the agent reads; the lab's config carries only these (see ProxyConfig.proxyEnv). */
export const AGENT_ENV_NAMES = [
  'ISTIO_KUBE_APP_PROBERS',
  'ISTIO_PROMETHEUS_ANNOTATIONS',
  'REWRITE_PROBE_LEGACY_LOCALHOST_DESTINATION',
  'INSTANCE_IP',
] as const;

export type AgentEnv = Partial<Record<(typeof AGENT_ENV_NAMES)[number], string>>;

/** Kubernetes' HTTPGetAction, TCPSocketAction and GRPCAction as the injector writes them. */
export interface HttpGetProber {
  path?: string;
  port: number;
  host?: string;
  scheme?: string;
  httpHeaders?: { name: string; value: string }[];
}

export interface Prober {
  httpGet?: HttpGetProber;
  tcpSocket?: { port: number; host?: string };
  grpc?: { port: number; service?: string };
  /** 0 (absent) means no timeout, as Go's http.Client and net.Dialer take it. */
  timeoutSeconds: number;
}

export class AgentEnvError extends Error {}

/** Istio's pattern for a prober path (the app-lifecycle hooks are the native sidecar's, kept for fidelity). */
export const APP_PROBER_PATTERN = /^\/(app-health|app-lifecycle)\/[^/]+\/(livez|readyz|startupz|prestopz|poststartz)$/;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A port as Kubernetes' IntOrString: the agent only takes the int form (a name must have been resolved by the injector). */
function intPort(path: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value))
    throw new AgentEnvError(`ISTIO_KUBE_APP_PROBERS: invalid prober config for ${path}, the port must be int type`);
  return value;
}

function readProber(path: string, raw: unknown): Prober {
  if (!APP_PROBER_PATTERN.test(path))
    throw new AgentEnvError(`ISTIO_KUBE_APP_PROBERS: invalid path ${path}, must be in form of regex pattern ${APP_PROBER_PATTERN.source}`);
  const p = isRecord(raw) ? raw : {};
  const kinds = ['httpGet', 'tcpSocket', 'grpc'].filter((k) => isRecord(p[k]));
  if (kinds.length !== 1)
    throw new AgentEnvError(`ISTIO_KUBE_APP_PROBERS: ${path}: invalid prober type, must be one of type httpGet, tcpSocket or gRPC`);
  const timeout = typeof p.timeoutSeconds === 'number' && p.timeoutSeconds > 0 ? p.timeoutSeconds : 0;
  if (isRecord(p.httpGet)) {
    const h = p.httpGet;
    const headers = Array.isArray(h.httpHeaders)
      ? h.httpHeaders.filter(isRecord).map((x) => ({ name: String(x.name), value: String(x.value) }))
      : undefined;
    return {
      httpGet: {
        port: intPort(path, h.port),
        ...(typeof h.path === 'string' ? { path: h.path } : {}),
        ...(typeof h.host === 'string' ? { host: h.host } : {}),
        ...(typeof h.scheme === 'string' ? { scheme: h.scheme } : {}),
        ...(headers ? { httpHeaders: headers } : {}),
      },
      timeoutSeconds: timeout,
    };
  }
  if (isRecord(p.tcpSocket)) return { tcpSocket: { port: intPort(path, p.tcpSocket.port) }, timeoutSeconds: timeout };
  const g = p.grpc as Record<string, unknown>;
  // GRPCAction.port is a plain int32 in Kubernetes.
  if (typeof g.port !== 'number') throw new AgentEnvError(`ISTIO_KUBE_APP_PROBERS: ${path}: grpc.port must be a number`);
  return { grpc: { port: g.port, ...(typeof g.service === 'string' ? { service: g.service } : {}) }, timeoutSeconds: timeout };
}

/**
 * ISTIO_KUBE_APP_PROBERS as pilot-agent's NewServer reads it: a JSON map from `/app-health/<container>/<kind>`
 * to one prober each. A bad value stops the agent from starting, as in Istio (the error names the variable).
 */
export function parseAppProbers(text: string | undefined): Map<string, Prober> {
  const out = new Map<string, Prober>();
  if (text === undefined || text === '') return out;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new AgentEnvError(`ISTIO_KUBE_APP_PROBERS: failed to decode app prober err = ${(err as Error).message}, json string = ${text}`);
  }
  if (!isRecord(json)) throw new AgentEnvError(`ISTIO_KUBE_APP_PROBERS: expected a JSON object, json string = ${text}`);
  for (const [path, raw] of Object.entries(json)) out.set(path, readProber(path, raw));
  return out;
}

/** Where the agent scrapes the app (`prometheus.io/*` as the injector moved them). */
export interface AppScrapeTarget {
  port: string;
  path: string;
}

/**
 * ISTIO_PROMETHEUS_ANNOTATIONS (`{"scrape":…,"path":…,"port":…}`): no target when absent or scrape
 * is "false"; path defaults to /metrics and port to 80, as pilot-agent fills them. A target on the
 * agent's own port is refused (it would scrape itself forever).
 */
export function parseScrapeTarget(text: string | undefined, statusPort: number): AppScrapeTarget | undefined {
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new AgentEnvError(`failed to unmarshal ISTIO_PROMETHEUS_ANNOTATIONS: ${(err as Error).message}`);
  }
  if (!isRecord(json)) throw new AgentEnvError('failed to unmarshal ISTIO_PROMETHEUS_ANNOTATIONS: expected a JSON object');
  const field = (k: string): string => (typeof json[k] === 'string' ? json[k] : '');
  if (field('scrape') === 'false') return undefined;
  const target = { path: field('path') || '/metrics', port: field('port') || '80' };
  if (target.port === String(statusPort))
    throw new AgentEnvError(
      `invalid prometheus scrape configuration: application port is the same as agent port, which may lead to a recursive loop. Ensure pod does not have prometheus.io/port=${statusPort} label, or that injection is not happening multiple times`,
    );
  return target;
}

/**
 * The Host the app sees: the kubelet's Host, with the status port replaced by the app's port
 * (kubelet probing podIP:15020 makes the app see podIP:8080, as a direct probe would).
 */
export function appProbeHost(requestHost: string | undefined, statusPort: number, appPort: number): string | undefined {
  if (requestHost === undefined || requestHost === '') return requestHost;
  const m = /^(\[[^\]]*\]|[^:]*):(\d+)$/.exec(requestHost);
  if (!m || Number(m[2]) !== statusPort) return requestHost;
  return `${m[1]}:${appPort}`;
}

/** Go's `mime.ParseMediaType` + pilot-agent's negotiation: OpenMetrics when the app speaks it, else text 0.0.4. */
export function negotiateMetricsFormat(contentType: string | undefined): string {
  const [media, ...params] = (contentType ?? '').split(';').map((s) => s.trim());
  if (media.toLowerCase() === 'application/openmetrics-text') {
    const version = params.map((p) => /^version=(.*)$/i.exec(p)?.[1]?.replace(/^"|"$/g, '')).find((v) => v !== undefined) ?? '';
    if (version === '1.0.0') return 'application/openmetrics-text; version=1.0.0; charset=utf-8';
    if (version === '0.0.1' || version === '') return 'application/openmetrics-text; version=0.0.1; charset=utf-8';
  }
  return 'text/plain; version=0.0.4; charset=utf-8';
}

/** The config's `proxyEnv`: the names above, each checked as the agent will read it (a ConfigError names the variable). */
export function readProxyEnv(r: Reader): AgentEnv {
  const env: AgentEnv = {};
  for (const name of AGENT_ENV_NAMES) {
    const v = r.optString(name);
    if (v !== undefined) env[name] = v;
  }
  try {
    parseAppProbers(env.ISTIO_KUBE_APP_PROBERS);
    parseScrapeTarget(env.ISTIO_PROMETHEUS_ANNOTATIONS, -1);
  } catch (err) {
    if (!(err instanceof AgentEnvError)) throw err;
    r.fail(err.message.startsWith('ISTIO_KUBE_APP_PROBERS') ? 'ISTIO_KUBE_APP_PROBERS' : 'ISTIO_PROMETHEUS_ANNOTATIONS', err.message);
  }
  return env;
}
