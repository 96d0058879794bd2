// Entry point of the `standin` program in the demo image: `standin --name IMAGE --listen …` or `standin run -- CMD`.
import { FlagError } from '../demo/flags';
import { stdoutLog, type RunningApp } from '../demo/serve';
import { lifeOnce, realDeps, runCommand, withRestarts } from './run';
import { parseStandinArgs, STANDIN_USAGE } from './spec';

// Past this a stuck close is abandoned: `docker stop` must not wait for its SIGKILL timeout.
const CLOSE_TIMEOUT_MS = 2000;

function onStop(stop: () => Promise<void> | void): void {
  let stopping = false;
  // PID 1 in its container: signals without a handler are ignored.
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    stdoutLog(`standin stopping on ${signal}`);
    setTimeout(() => process.exit(0), CLOSE_TIMEOUT_MS).unref();
    Promise.resolve(stop()).then(
      () => process.exit(0),
      () => process.exit(0),
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}

async function main(argv: string[]): Promise<number | undefined> {
  const deps = realDeps(stdoutLog);
  if (argv[0] === 'run') {
    const command = argv[1] === '--' ? argv.slice(2) : argv.slice(1);
    if (command.length === 0) throw new FlagError('run: no command (standin run -- COMMAND [ARGS…])');
    let stopChild = (): void => undefined;
    onStop(() => stopChild());
    return withRestarts(command.join(' '), 'always', () => runCommand(command, (stop) => (stopChild = stop)), deps);
  }
  const spec = parseStandinArgs(argv);
  if (spec === 'help') {
    process.stdout.write(STANDIN_USAGE);
    return 0;
  }
  const running: { app?: RunningApp } = {};
  onStop(() => running.app?.close());
  const result = await withRestarts(spec.name, spec.restart, () => lifeOnce(spec, deps), deps);
  if (typeof result === 'number') return result;
  running.app = result;
  // The listeners keep the process alive until a signal.
  return undefined;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`standin: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(err instanceof FlagError ? 2 : 1);
  },
);
