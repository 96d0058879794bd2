// What a stand-in does, as its command line says it: listeners, start-up calls, restarts; parsed and written here.
import { FlagError, lastValue, parseFlags, type FlagSpec } from '../demo/flags';

/** What a listener answers. `auto`: HTTP when the client speaks HTTP, else TCP echo. */
export const PROTOCOLS = [
  'http',
  'grpc',
  'mysql',
  'postgres',
  'redis',
  'memcached',
  'smtp',
  'ftp',
  'tcp',
  'auto',
] as const;
export type StandinProtocol = (typeof PROTOCOLS)[number];

/** Protocols whose server sends the first bytes on a new connection. */
export const SERVER_FIRST: ReadonlySet<StandinProtocol> = new Set(['mysql', 'smtp', 'ftp']);

/** What a start-up call speaks: `tcp` only connects (and logs a banner if one comes). */
export const CALL_SCHEMES = ['http', 'grpc', 'mysql', 'postgres', 'redis', 'tcp'] as const;
export type CallScheme = (typeof CALL_SCHEMES)[number];

export type PostgresAuth = 'trust' | 'password' | 'md5' | 'scram-sha-256';
const PG_AUTHS: PostgresAuth[] = ['trust', 'password', 'md5', 'scram-sha-256'];

export interface ListenSpec {
  protocol: StandinProtocol;
  /** Undefined: every address (IPv6 dual stack when available), as `0.0.0.0`/`::`/`*` say. */
  host?: string;
  port: number;
}

export interface CallSpec {
  scheme: CallScheme;
  host: string;
  port: number;
  /** For http: path and query, `/` when none. */
  path: string;
  /** As written, for logs. */
  url: string;
}

export interface StandinSpec {
  /** The image this stands in for (logs, greetings, `x-served-by`). */
  name: string;
  /** The server version greetings announce (MySQL, Postgres, Redis, …). */
  version?: string;
  listens: ListenSpec[];
  calls: CallSpec[];
  /** Tries after the first failed round of calls, `retryDelayS` apart. */
  retries: number;
  retryDelayS: number;
  /** How long each call waits to connect and for its answer. */
  callTimeoutS: number;
  /** After the calls failed for good: `exit` non-zero as the app would, or `serve` anyway. */
  onCallFailure: 'exit' | 'serve';
  /** After an exit: `always` waits kubelet's back-off and starts again; `never` ends the process. */
  restart: 'always' | 'never';
  /** Redis: refuse non-loopback clients while no password is set (protected-mode yes). */
  protectedMode: boolean;
  /** Redis `requirepass`, Postgres' password; undefined: not known, any password is taken. */
  password?: string;
  /** How the Postgres stand-in authenticates (default `trust`). */
  postgresAuth: PostgresAuth;
}

export const DEFAULT_CALL_PORTS: Record<CallScheme, number | undefined> = {
  http: 80,
  grpc: undefined,
  mysql: 3306,
  postgres: 5432,
  redis: 6379,
  tcp: undefined,
};

/** `[::1]` → `::1`; every-address spellings → undefined. */
function normalHost(text: string): string | undefined {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  return bare === '' || bare === '*' || bare === '0.0.0.0' || bare === '::' ? undefined : bare;
}

function portOf(text: string, what: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535 || Number(text) === 0)
    throw new FlagError(`${what}: port must be 1-65535, got ${JSON.stringify(text)}`);
  return Number(text);
}

/** Splits `[ADDR:]PORT` (`8080`, `:8080`, `127.0.0.1:8080`, `[::1]:8080`). */
export function splitHostPort(text: string, what: string): { host?: string; port: number } {
  const colon = text.lastIndexOf(':');
  if (colon === -1) return { port: portOf(text, what) };
  const host = text.slice(0, colon);
  if (host.includes(':') && !host.startsWith('['))
    throw new FlagError(`${what}: write an IPv6 address in brackets, as [::1]:8080`);
  return { host: normalHost(host), port: portOf(text.slice(colon + 1), what) };
}

/** `PROTOCOL/[ADDR:]PORT`, e.g. `mysql/3306`, `http/127.0.0.1:8080`. */
export function parseListen(text: string, fallback: StandinProtocol = 'auto'): ListenSpec {
  const slash = text.indexOf('/');
  const proto = slash === -1 ? fallback : text.slice(0, slash);
  if (!(PROTOCOLS as readonly string[]).includes(proto))
    throw new FlagError(
      `listen ${JSON.stringify(text)}: unknown protocol ${proto} (one of ${PROTOCOLS.join(', ')})`,
    );
  const where = splitHostPort(slash === -1 ? text : text.slice(slash + 1), `listen ${JSON.stringify(text)}`);
  return { protocol: proto as StandinProtocol, ...where };
}

export function formatHostPort(host: string | undefined, port: number): string {
  if (host === undefined) return `0.0.0.0:${port}`;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function formatListen(l: ListenSpec): string {
  return `${l.protocol}/${l.host === undefined ? l.port : formatHostPort(l.host, l.port)}`;
}

/** `SCHEME://HOST[:PORT][/PATH]`; the port may only be left out where the scheme has one. */
export function parseCall(text: string): CallSpec {
  const m = /^([a-z0-9+.-]+):\/\/(\[[^\]]+\]|[^/:?#]+)(?::(\d+))?([/?].*)?$/i.exec(text);
  const what = `call ${JSON.stringify(text)}`;
  if (!m) throw new FlagError(`${what}: expected SCHEME://HOST:PORT, e.g. mysql://orders-db:3306`);
  const scheme = m[1].toLowerCase() === 'https' ? 'https' : m[1].toLowerCase();
  if (scheme === 'https')
    throw new FlagError(`${what}: the stand-in speaks no TLS; call http:// (the sidecar originates TLS)`);
  if (!(CALL_SCHEMES as readonly string[]).includes(scheme))
    throw new FlagError(`${what}: unknown scheme ${scheme} (one of ${CALL_SCHEMES.join(', ')})`);
  const port = m[3] !== undefined ? portOf(m[3], what) : DEFAULT_CALL_PORTS[scheme as CallScheme];
  if (port === undefined) throw new FlagError(`${what}: ${scheme}:// needs a port`);
  const host = m[2].startsWith('[') ? m[2].slice(1, -1) : m[2];
  return { scheme: scheme as CallScheme, host, port, path: m[4] ?? '/', url: text };
}

const SPEC: FlagSpec = {
  name: 'value',
  version: 'value',
  listen: 'value',
  call: 'value',
  retries: 'value',
  'retry-delay': 'value',
  timeout: 'value',
  'on-call-failure': 'value',
  restart: 'value',
  'protected-mode': 'switch',
  password: 'value',
  'postgres-auth': 'value',
  help: 'switch',
};

export const STANDIN_USAGE = `usage: standin --name IMAGE [--listen PROTOCOL/[ADDR:]PORT]… [--call URL]… [flags]
       standin run -- COMMAND [ARGS…]

Plays a workload's network behaviour when its image is not on the machine.
  --listen PROTOCOL/[ADDR:]PORT  listen and answer as PROTOCOL (${PROTOCOLS.join(', ')});
                                 no ADDR: every address; 127.0.0.1: loopback only
  --call SCHEME://HOST:PORT[/PATH]  call this at start-up (${CALL_SCHEMES.join(', ')}), before listening
  --retries N, --retry-delay S   tries after a failed call (default 0, 1 s apart)
  --timeout S                    how long a call waits for its answer (default 5)
  --on-call-failure exit|serve   exit 1 as the app would (default), or listen anyway
  --restart always|never         after an exit, start again after kubelet's back-off (default always)
  --version TEXT                 the version greetings announce
  --protected-mode               redis: refuse non-loopback clients while no password is set
  --password TEXT                redis requirepass / postgres password (unknown: any is taken)
  --postgres-auth trust|password|md5|scram-sha-256
standin run -- COMMAND runs a command and restarts it after kubelet's back-off when it exits.
`;

function numberFlag(value: string, name: string, min: number): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min)
    throw new FlagError(`--${name} must be a number ≥ ${min}, got ${JSON.stringify(value)}`);
  return n;
}

/** Parses the stand-in's flags; throws FlagError naming the flag at fault. */
export function parseStandinArgs(argv: readonly string[]): StandinSpec | 'help' {
  const flags = parseFlags(argv, SPEC);
  if (flags.has('help')) return 'help';
  const onFailure = lastValue(flags, 'on-call-failure', 'exit');
  if (onFailure !== 'exit' && onFailure !== 'serve')
    throw new FlagError(`--on-call-failure must be exit or serve, got ${onFailure}`);
  const restart = lastValue(flags, 'restart', 'always');
  if (restart !== 'always' && restart !== 'never')
    throw new FlagError(`--restart must be always or never, got ${restart}`);
  const auth = lastValue(flags, 'postgres-auth', 'trust');
  if (!PG_AUTHS.includes(auth as PostgresAuth))
    throw new FlagError(`--postgres-auth must be one of ${PG_AUTHS.join(', ')}, got ${auth}`);
  const listens = (flags.get('listen') ?? []).map((t) => parseListen(t));
  const calls = (flags.get('call') ?? []).map(parseCall);
  if (listens.length === 0 && calls.length === 0)
    throw new FlagError('nothing to do: give --listen or --call (or run standin run -- COMMAND)');
  const spec: StandinSpec = {
    name: lastValue(flags, 'name', 'stand-in'),
    listens,
    calls,
    retries: numberFlag(lastValue(flags, 'retries', '0'), 'retries', 0),
    retryDelayS: numberFlag(lastValue(flags, 'retry-delay', '1'), 'retry-delay', 0),
    callTimeoutS: numberFlag(lastValue(flags, 'timeout', '5'), 'timeout', 0.1),
    onCallFailure: onFailure,
    restart,
    protectedMode: flags.has('protected-mode'),
    postgresAuth: auth as PostgresAuth,
  };
  if (flags.has('version')) spec.version = lastValue(flags, 'version', '');
  if (flags.has('password')) spec.password = lastValue(flags, 'password', '');
  return spec;
}

/** The command line that `parseStandinArgs` reads back as `spec`. */
export function standinArgs(spec: StandinSpec): string[] {
  const out = ['--name', spec.name];
  if (spec.version !== undefined) out.push('--version', spec.version);
  for (const l of spec.listens) out.push('--listen', formatListen(l));
  for (const c of spec.calls) out.push('--call', c.url);
  if (spec.retries !== 0) out.push('--retries', String(spec.retries));
  if (spec.retryDelayS !== 1) out.push('--retry-delay', String(spec.retryDelayS));
  if (spec.callTimeoutS !== 5) out.push('--timeout', String(spec.callTimeoutS));
  if (spec.onCallFailure !== 'exit') out.push('--on-call-failure', spec.onCallFailure);
  if (spec.restart !== 'always') out.push('--restart', spec.restart);
  if (spec.protectedMode) out.push('--protected-mode');
  if (spec.password !== undefined) out.push('--password', spec.password);
  if (spec.postgresAuth !== 'trust') out.push('--postgres-auth', spec.postgresAuth);
  return out;
}
