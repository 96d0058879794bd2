// `demo fortio load|server` and `demo relay`: the performance scenario's programs on the demo image's command line.
import { setMaxListeners } from 'node:events';
import { writeFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { listenDualStack } from '../demo/serve';
import { FlagError } from '../demo/flags';
import { createEchoServer } from './echo-server';
import { GoFlagError, goFlagUsage, parseGoFlags, type GoFlagSpec } from './go-flags';
import { LOAD_USAGE, parseLoadArgs, resultText, runLoad, startText } from './load';
import { parseRelayArgs, RELAY_USAGE, startRelay } from './relay';

const SERVER_FLAGS: GoFlagSpec = {
  'http-port': { kind: 'string', usage: 'http echo server port(s): a port, host:port, or a comma-separated list', default: '8080' },
};

export const FORTIO_USAGE = `usage: demo fortio load [flags] URL | demo fortio server [-http-port PORT[,PORT]]\n  fortio-like load generator and lean echo server.\n\nserver flags:\n${goFlagUsage(SERVER_FLAGS)}\n\n${LOAD_USAGE}`;

type Exit = (code: number) => void;

/** Stops on the first SIGINT/SIGTERM (PID 1 in a container ignores signals it has no handler for). */
function onStop(stop: () => void): void {
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function load(argv: string[]): Promise<void> {
  const opts = parseLoadArgs(argv);
  if (opts === 'help') {
    process.stdout.write(LOAD_USAGE);
    return;
  }
  // With the JSON on stdout, the text goes to stderr so that stdout parses.
  const text = opts.json === '-' ? process.stderr : process.stdout;
  text.write(startText(opts));
  const abort = new AbortController();
  // Every connection waiting out its next slot listens for the abort.
  setMaxListeners(opts.connections + 10, abort.signal);
  onStop(() => abort.abort());
  const run = await runLoad(opts, abort.signal);
  text.write(resultText(run, opts));
  const json = `${JSON.stringify(run.result, null, 2)}\n`;
  if (opts.json === '-') process.stdout.write(json);
  else if (opts.json) {
    writeFileSync(opts.json, json);
    text.write(`Successfully wrote ${json.length} bytes of Json data to ${opts.json}\n`);
  }
}

async function server(argv: string[]): Promise<void> {
  const { flags, args } = parseGoFlags(argv, SERVER_FLAGS);
  if (args.length > 0) throw new GoFlagError(`server: unexpected argument ${args[0]}`);
  const listens = String(flags.get('http-port') ?? '8080').split(',');
  const bound: string[] = [];
  const servers: Server[] = [];
  for (const item of listens) {
    const m = /^(?:(.*):)?(\d{1,5})$/.exec(item.trim());
    if (!m || Number(m[2]) > 65535) throw new GoFlagError(`invalid value "${item}" for flag -http-port: a port or host:port`);
    const s = createEchoServer();
    const port = await listenDualStack(s, Number(m[2]), m[1] || undefined);
    servers.push(s);
    bound.push(String(port));
  }
  onStop(() => {
    for (const s of servers) s.close();
    process.exit(0);
  });
  process.stdout.write(`Fortio-like echo server (sidecar-lab) listening on ${bound.join(', ')}\n`);
}

/** `demo fortio …`; usage mistakes exit 2 with the message and the usage. */
export async function fortioMain(argv: string[], exit: Exit): Promise<void> {
  const [sub, ...rest] = argv;
  try {
    if (sub === 'load') await load(rest);
    else if (sub === 'server') await server(rest);
    else if (sub === undefined || sub === 'help' || sub === '-h' || sub === '--help') process.stdout.write(FORTIO_USAGE);
    else throw new GoFlagError(`fortio: unknown command ${sub} (load or server)`);
  } catch (err) {
    if (!(err instanceof GoFlagError)) throw err;
    process.stderr.write(`demo fortio: ${err.message}\n${FORTIO_USAGE}`);
    exit(2);
  }
}

/** `demo relay --route PORT=HOST:PORT…`. */
export async function relayMain(argv: string[], exit: Exit): Promise<void> {
  try {
    const opts = parseRelayArgs(argv);
    if (opts === 'help') {
      process.stdout.write(RELAY_USAGE);
      return;
    }
    const relay = await startRelay(opts.routes, opts.host);
    onStop(() => {
      void relay.close().then(() => process.exit(0));
    });
    process.stdout.write(`relay listening: ${opts.routes.map((r) => `${r.port} -> ${r.host}:${r.upstreamPort}`).join(', ')}\n`);
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    process.stderr.write(`demo relay: ${err.message}\n${RELAY_USAGE}`);
    exit(2);
  }
}
