// Command line of the `demo` image: `demo <app> [flags]` parsed into a command, then started.
import { FlagError, lastValue, parseFlags, parsePorts, type FlagSpec } from './flags';
import { startHttpbin } from './httpbin';
import { startListen } from './listen';
import { stdoutLog, type LogLine, type RunningApp } from './serve';
import { DEFAULT_BANNER, startBanner, startEcho } from './tcp';

export type DemoApp = 'httpbin' | 'echo' | 'banner' | 'listen';

/** One app to run, with its flags. */
export interface AppCommand {
  app: DemoApp;
  ports: number[];
  host?: string;
  name?: string;
  banner?: string;
  /** `--log`: one line per request (httpbin, listen) or connection (echo, banner) on stdout. */
  log?: boolean;
}

export type DemoCommand = { app: 'help'; topic?: DemoApp } | AppCommand;

interface AppInfo {
  summary: string;
  defaultPort: number;
  flags: FlagSpec;
  usage: string;
}

const COMMON: FlagSpec = { port: 'value', host: 'value', log: 'switch', help: 'switch' };

// Default ports follow what each app imitates; manifests always pass --port anyway.
const APPS: Record<DemoApp, AppInfo> = {
  httpbin: {
    summary: 'httpbin-like HTTP/1.1 server (/get /headers /ip /status /delay /anything /bytes)',
    defaultPort: 80,
    flags: { ...COMMON, name: 'value' },
    usage: 'demo httpbin [--port N[,N…]]… [--host ADDR] [--name NAME]   (default port 80)',
  },
  echo: {
    summary: 'TCP echo server',
    defaultPort: 7,
    flags: COMMON,
    usage: 'demo echo [--port N[,N…]]… [--host ADDR]   (default port 7)',
  },
  banner: {
    summary: 'server-first TCP server: sends a banner on connect, answers lines with "250 <line>"',
    defaultPort: 25,
    flags: { ...COMMON, banner: 'value' },
    usage: `demo banner [--port N[,N…]]… [--host ADDR] [--banner TEXT]   (default port 25, banner "${DEFAULT_BANNER}")`,
  },
  listen: {
    summary:
      'stand-in for a missing image: HTTP (as httpbin) when the client speaks HTTP, else TCP echo',
    defaultPort: 80,
    flags: { ...COMMON, name: 'value' },
    usage: 'demo listen [--port N[,N…]]… [--host ADDR] [--name NAME]   (default port 80)',
  },
};

function isApp(name: string): name is DemoApp {
  return Object.hasOwn(APPS, name);
}

/** The text `demo --help` prints (or `demo <app> --help` for one app). */
export function usage(topic?: DemoApp): string {
  if (topic) return `${APPS[topic].usage}\n  ${APPS[topic].summary}\n`;
  const lines = ['usage: demo <app> [flags]', '', 'apps:'];
  for (const [name, info] of Object.entries(APPS))
    lines.push(`  ${name.padEnd(8)} ${info.summary}`);
  lines.push('', 'flags:');
  for (const info of Object.values(APPS)) lines.push(`  ${info.usage}`);
  lines.push(
    '',
    'Without --host every address is bound (IPv6 dual stack when available).',
    '--port repeats and takes lists: --port 80 --port 8080 or --port 80,8080.',
    '--log prints one line per request (per connection for echo and banner); without it the apps print',
    'nothing per request, so a load test measures the network, not the container log.',
    '',
    'demo load URL …         the original fixed-rate load generator (JSON figures)',
    'demo fortio load|server a fortio-like load generator and lean echo server (demo fortio --help)',
    'demo relay --route …    a bare TCP relay (demo relay --help)',
    '',
  );
  return lines.join('\n');
}

/** Parses `argv` (without the program name); throws FlagError on any usage mistake. */
export function parseDemoArgs(argv: readonly string[]): DemoCommand {
  const [first, ...rest] = argv;
  if (first === undefined) throw new FlagError('missing app name (try demo --help)');
  if (first === '--help' || first === '-h' || first === 'help') return { app: 'help' };
  if (!isApp(first)) throw new FlagError(`unknown app: ${first} (try demo --help)`);
  const info = APPS[first];
  const flags = parseFlags(rest, info.flags);
  if (flags.has('help')) return { app: 'help', topic: first };
  const cmd: AppCommand = { app: first, ports: parsePorts(flags.get('port'), info.defaultPort) };
  if (flags.has('host')) cmd.host = lastValue(flags, 'host', '');
  if (flags.has('name')) cmd.name = lastValue(flags, 'name', '');
  if (flags.has('banner')) cmd.banner = lastValue(flags, 'banner', DEFAULT_BANNER);
  if (flags.has('log')) cmd.log = true;
  if (cmd.host === '') throw new FlagError('flag --host needs a value');
  return cmd;
}

const quiet: LogLine = () => undefined;

/** Starts the app a parsed command names; it logs per request only with `--log` (or a `log` given here). */
export function startApp(cmd: AppCommand, log?: LogLine): Promise<RunningApp> {
  const base = { ports: cmd.ports, host: cmd.host, log: log ?? (cmd.log ? stdoutLog : quiet) };
  const starters: Record<DemoApp, () => Promise<RunningApp>> = {
    httpbin: () => startHttpbin({ ...base, name: cmd.name }),
    echo: () => startEcho(base),
    banner: () => startBanner({ ...base, banner: cmd.banner }),
    listen: () => startListen({ ...base, name: cmd.name }),
  };
  return starters[cmd.app]();
}
