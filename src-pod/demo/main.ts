// Entry point of the `demo` binary in the lab's images: `demo <app> [flags]`.
import { parseDemoArgs, startApp, usage } from './cli';
import { FlagError } from './flags';
import { LOAD_USAGE, parseLoadArgs, runLoad } from './load';
import { fortioMain, relayMain } from '../perf/cli';

// Past this a stuck close is abandoned: `docker stop` must not wait for its SIGKILL timeout.
const CLOSE_TIMEOUT_MS = 2000;

/** `demo load` is a client, not a server: it runs, prints its figures as JSON, and exits. */
async function load(argv: string[]): Promise<void> {
  const opts = parseLoadArgs(argv);
  if (opts === 'help') {
    process.stdout.write(LOAD_USAGE);
    return;
  }
  process.stdout.write(`${JSON.stringify(await runLoad(opts))}\n`);
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === 'fortio') return fortioMain(argv.slice(1), (code) => process.exit(code));
  if (argv[0] === 'relay') return relayMain(argv.slice(1), (code) => process.exit(code));
  if (argv[0] === 'load') {
    try {
      await load(argv.slice(1));
    } catch (err) {
      if (!(err instanceof FlagError)) throw err;
      process.stderr.write(`demo: ${err.message}\n${LOAD_USAGE}`);
      process.exit(2);
    }
    return;
  }
  let cmd;
  try {
    cmd = parseDemoArgs(argv);
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    process.stderr.write(`demo: ${err.message}\n`);
    process.exit(2);
  }
  if (cmd.app === 'help') {
    process.stdout.write(usage(cmd.topic));
    return;
  }
  const app = await startApp(cmd);
  let stopping = false;
  // The app is PID 1 in its container, where signals without a handler are ignored.
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`demo ${cmd.app} stopping on ${signal}\n`);
    setTimeout(() => process.exit(0), CLOSE_TIMEOUT_MS).unref();
    app.close().then(
      () => process.exit(0),
      () => process.exit(0),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Only now say so: whoever waits for this line may signal at once (a pipe write is synchronous).
  const as = cmd.name === undefined ? '' : ` as ${cmd.name}`;
  process.stdout.write(`demo ${cmd.app} listening on ${app.ports.join(', ')}${as}\n`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
