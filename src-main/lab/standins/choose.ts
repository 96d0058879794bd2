// Picks what stands in for a container whose image is not on the machine, and says why.
import { basename } from 'node:path';
import { FlagError } from '../../../src-pod/demo/flags';
import {
  formatListen,
  parseStandinArgs,
  standinArgs,
  type ListenSpec,
  type PostgresAuth,
  type StandinProtocol,
  type StandinSpec,
} from '../../../src-pod/standin/spec';
import type { ContainerPort } from '../scenario/types';
import { findEntry, PORT_NAME_PROTOCOLS, parseImageName, versionOfTag, WELL_KNOWN_PORTS, type CatalogueEntry } from './catalogue';
import { commandTokens, readListenHint } from './listen-flags';

export interface StandinInput {
  image: string;
  command?: string[];
  args?: string[];
  env: Record<string, string>;
  ports: ContainerPort[];
  /** An init container: runs to its end, so it never serves; it calls out or runs its command. */
  init?: boolean;
}

/** What runs in the demo image instead: its entrypoint and command, and one line saying why. */
export interface StandinChoice {
  entrypoint: string[];
  cmd: string[];
  /** `serve`: plays a server; `call`: calls out once and exits; `run`: runs the command; `idle`: sleeps. */
  mode: 'serve' | 'call' | 'run' | 'idle';
  /** The listeners a `serve` stand-in opens. */
  listens: ListenSpec[];
  reason: string;
}

/** Programs the demo image has, so a client's command runs there as it would in its own image. */
const DEMO_TOOLS = new Set([
  'sh', 'bash', 'sleep', 'curl', 'nc', 'netcat', 'dig', 'nslookup', 'host', 'echo', 'cat', 'env',
  'timeout', 'node', 'ip', 'ss', 'true', 'false', 'printf', 'tail', 'watch', 'while',
]);

const IDLE = ['sleep', 'infinity'];

/** URLs in a command that the stand-in can call as the program would (`--db mysql://orders-db:3306`). */
const CALL_URL = /^(?:[a-z-]+=)?((?:http|grpc|mysql|postgres|postgresql|redis|tcp):\/\/[^\s'"]+)/i;

function callUrls(tokens: string[]): string[] {
  const urls: string[] = [];
  for (const t of tokens) {
    const m = CALL_URL.exec(t);
    // Credentials are the app's business: the call needs host and port.
    if (m) urls.push(m[1].replace(/^postgresql:/i, 'postgres:').replace(/^[a-z]+/i, (x) => x.toLowerCase()).replace(/\/\/[^@/]*@/, '//'));
  }
  return urls;
}

/** Istio's port naming rule: `<protocol>[-<suffix>]`. */
function protocolOfPortName(name: string | undefined): StandinProtocol | undefined {
  if (!name) return undefined;
  const prefix = name.toLowerCase().split('-')[0];
  return PORT_NAME_PROTOCOLS[prefix];
}

function listenersFor(entry: CatalogueEntry | undefined, input: StandinInput, tokens: string[]): { listens: ListenSpec[]; said: string[] } {
  const hint = readListenHint(tokens, input.env);
  const byPort = new Map<number, StandinProtocol>();
  const main = entry?.ports[0];
  entry?.ports.forEach((p, i) => byPort.set(i === 0 && hint.port !== undefined ? hint.port : p.port, p.protocol));
  // A declared port's name counts wherever the port number comes from.
  const guess = (port: number): StandinProtocol =>
    protocolOfPortName(input.ports.find((p) => p.containerPort === port)?.name) ??
    WELL_KNOWN_PORTS[port] ??
    main?.protocol ??
    'auto';
  if (!entry && hint.port !== undefined) byPort.set(hint.port, guess(hint.port));
  for (const e of hint.endpoints) if (!byPort.has(e.port)) byPort.set(e.port, guess(e.port));
  for (const p of input.ports) {
    if (p.protocol === 'TCP' && !byPort.has(p.containerPort)) byPort.set(p.containerPort, guess(p.containerPort));
  }
  const listens = [...byPort].map(([port, protocol]): ListenSpec => {
    const pinned = hint.endpoints.find((e) => e.port === port);
    const host = pinned ? pinned.host : hint.host;
    return host === undefined ? { protocol, port } : { protocol, host, port };
  });
  return { listens, said: hint.said };
}

function postgresAuth(env: Record<string, string>): PostgresAuth {
  const method = env.POSTGRES_HOST_AUTH_METHOD;
  if (method === 'md5' || method === 'password' || method === 'scram-sha-256') return method;
  // The official image: scram-sha-256 once a password is set (Postgres 14 and later), else trust.
  return method === undefined && env.POSTGRES_PASSWORD ? 'scram-sha-256' : 'trust';
}

function flagAfter(tokens: string[], flag: string): string | undefined {
  const i = tokens.lastIndexOf(flag);
  return i !== -1 ? tokens[i + 1] : tokens.find((t) => t.startsWith(`${flag}=`))?.slice(flag.length + 1);
}

function serverSpec(input: StandinInput, entry: CatalogueEntry | undefined, listens: ListenSpec[], tokens: string[]): StandinSpec {
  const spec: StandinSpec = {
    name: input.image,
    listens,
    calls: [],
    retries: 0,
    retryDelayS: 1,
    callTimeoutS: 5,
    onCallFailure: 'exit',
    restart: 'always',
    // The official redis image turns protected mode off unless the command turns it on.
    protectedMode: flagAfter(tokens, '--protected-mode') === 'yes',
    postgresAuth: postgresAuth(input.env),
  };
  const version = entry ? versionOfTag(parseImageName(input.image).tag) : undefined;
  if (version) spec.version = version;
  const password = flagAfter(tokens, '--requirepass') ?? input.env.POSTGRES_PASSWORD ?? input.env.REDIS_PASSWORD;
  if (password !== undefined) spec.password = password;
  return spec;
}

function describeListens(listens: ListenSpec[]): string {
  return listens.map(formatListen).join(', ');
}

/** `standin.sidecarlab.dev/<container>`: the stand-in's own flags for that container, over the catalogue. */
export const STANDIN_ANNOTATION_PREFIX = 'standin.sidecarlab.dev/';

/**
 * Reads the override annotation's value (standin flags, split on spaces); throws a FlagError
 * naming the flag at fault. `--name` defaults to the image.
 */
export function standinOverride(image: string, value: string): StandinChoice {
  const argv = value.trim().split(/\s+/).filter((t) => t !== '');
  const full = argv.includes('--name') || argv.some((a) => a.startsWith('--name=')) ? argv : ['--name', image, ...argv];
  const spec = parseStandinArgs(full);
  if (spec === 'help') throw new FlagError('--help is not a stand-in to play');
  return {
    entrypoint: ['standin'],
    cmd: standinArgs(spec),
    mode: spec.listens.length > 0 ? 'serve' : 'call',
    listens: spec.listens,
    reason: `annotation ${STANDIN_ANNOTATION_PREFIX}…: ${argv.join(' ')}`,
  };
}

/** An init container's command in the demo image, once: kubelet's restarts are the pod starter's. */
function runOnce(what: string, command: string[], program: string): StandinChoice {
  return { entrypoint: [command[0]], cmd: command.slice(1), mode: 'run', listens: [], reason: `${what}; an init container: its command runs in the demo image (${program})` };
}

/** Chooses the stand-in for a container whose image is absent. Pure: the same input, the same choice. */
export function chooseStandin(input: StandinInput): StandinChoice {
  const entry = findEntry(input.image);
  const tokens = commandTokens(input.command, input.args);
  const what = entry ? `catalogue: ${entry.name}` : 'not in the catalogue';
  const command = [...(input.command ?? []), ...(input.args ?? [])];
  const program = input.command?.[0] ? basename(input.command[0]) : undefined;
  const runCommand = (why: string): StandinChoice => ({
    entrypoint: ['standin'],
    cmd: ['run', '--', ...command],
    mode: 'run',
    listens: [],
    reason: `${what}; ${why}`,
  });
  if (input.init) {
    if (program && DEMO_TOOLS.has(program)) return runOnce(what, command, program);
    const urls = callUrls(tokens);
    if (urls.length > 0) {
      const cmd = ['--name', input.image, ...urls.flatMap((u) => ['--call', u]), '--restart', 'never'];
      return { entrypoint: ['standin'], cmd, mode: 'call', listens: [], reason: `${what}; an init container: calls ${urls.join(', ')} once and exits 0 if it answers` };
    }
    return { entrypoint: ['true'], cmd: [], mode: 'run', listens: [], reason: `${what}; an init container with nothing the stand-in can play: it exits 0` };
  }
  if (entry?.kind === 'client') {
    if (input.command) return runCommand(`its command runs in the demo image (${program})`);
    return { entrypoint: IDLE.slice(0, 1), cmd: IDLE.slice(1), mode: 'idle', listens: [], reason: `${what}; no command: it idles` };
  }
  const { listens, said } = listenersFor(entry, input, tokens);
  if (listens.length > 0) {
    const spec = serverSpec(input, entry, listens, tokens);
    const from = said.length > 0 ? `; read ${said.join(', ')}` : '';
    return {
      entrypoint: ['standin'],
      cmd: standinArgs(spec),
      mode: 'serve',
      listens,
      reason: `${what}${from}; plays ${describeListens(listens)}`,
    };
  }
  if (program && DEMO_TOOLS.has(program)) return runCommand(`no ports; its command runs in the demo image (${program})`);
  const why = program ? `no ports, and ${program} is not in the demo image: it idles` : 'no ports and no command: it idles';
  return { entrypoint: IDLE.slice(0, 1), cmd: IDLE.slice(1), mode: 'idle', listens: [], reason: `${what}; ${why}` };
}
