// `sidecar-lab perf`: the sidecar's cost on the running `performance` lab, mode by mode, as fortio prints it and as one JSON document.
import { connectEngine } from '../lab/docker/engine';
import { labStatus } from '../lab/runtime/status';
import { connectionSweep, ISTIO_CONNECTION_SWEEP, MODE_PATHS, PERF_MODES, perfOptions, PerfUsageError, type PerfOptions } from '../lab/perf/modes';
import { checkPerfLab, runMode } from '../lab/perf/run-perf';
import { perfJson, summaryTable, type ModeResult } from '../lab/perf/summary';
import { parseArgs, flagString, UsageError } from './args';
import type { CliIO } from './output';

export const PERF_USAGE = `sidecar-lab perf [--mode MODE]… [--qps N] [--connections N[,N…]|sweep] [--payload BYTES] [--duration SECONDS] [--json] [--lab NAME]
  modes: ${PERF_MODES.join(', ')} (repeatable or comma-separated; default: all, relay being the bare TCP relay as uid 1337)
  --connections with a list runs every mode at each count; sweep: Istio's ${ISTIO_CONNECTION_SWEEP.join(',')}
  defaults: --qps 1000 (0: as fast as it goes), --connections 16, --payload 1024, --duration 10`;

/** `--mode` may repeat; the shared parser keeps one value per flag, so the modes are taken out first. */
export function splitModes(argv: readonly string[]): { modes: string[]; rest: string[] } {
  const modes: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--mode') {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new UsageError('perf: flag --mode needs a value');
      modes.push(value);
      i++;
    } else if (arg.startsWith('--mode=')) modes.push(arg.slice('--mode='.length));
    else rest.push(arg);
  }
  return { modes, rest };
}

/** `sweep`: the connection counts, in order (one unless `--connections` gave a list); `opts.connections` is the first. */
export function parsePerfArgs(argv: readonly string[]): { opts: PerfOptions; sweep: number[]; json: boolean; lab?: string } {
  const { modes, rest } = splitModes(argv);
  const args = parseArgs(
    rest,
    ['qps', 'connections', 'payload', 'duration', 'lab'].map((name) => ({ name, takesValue: true })).concat([{ name: 'json', takesValue: false }]),
    'perf',
  );
  if (args.positionals.length > 0) throw new UsageError(`perf: unexpected argument ${args.positionals[0]}\n${PERF_USAGE}`);
  try {
    const sweep = connectionSweep(flagString(args, 'connections'));
    const opts = perfOptions({
      modes,
      qps: flagString(args, 'qps'),
      connections: String(sweep[0]),
      payload: flagString(args, 'payload'),
      duration: flagString(args, 'duration'),
    });
    const lab = flagString(args, 'lab');
    return { opts, sweep, json: args.flags.has('json'), ...(lab ? { lab } : {}) };
  } catch (err) {
    if (err instanceof PerfUsageError) throw new UsageError(err.message);
    throw err;
  }
}

export async function perfCommand(argv: string[], io: CliIO, pickLab: (named: string | undefined) => Promise<string | undefined>): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.out(PERF_USAGE);
    return 0;
  }
  const { opts, sweep, json, lab: named } = parsePerfArgs(argv);
  const lab = await pickLab(named);
  if (!lab) return 1;
  const docker = await connectEngine();
  const status = await labStatus(docker, lab);
  checkPerfLab(status, opts.modes);
  // One count keeps `connections` a number, as before; a sweep lists them.
  const settings = { lab, qps: opts.qps, connections: sweep.length === 1 ? opts.connections : sweep, payload: opts.payload, duration: opts.durationS };
  // With --json, stdout carries the document alone; fortio's text goes to stderr.
  const text = json ? io.err : io.out;
  const results: ModeResult[] = [];
  for (const connections of sweep) {
    const at = { ...opts, connections };
    for (const mode of opts.modes) {
      io.err(`perf: ${mode} (${MODE_PATHS[mode].title}): ${at.qps > 0 ? `${at.qps} qps` : 'max qps'}, ${connections} connections, ${at.payload}-byte payload, ${at.durationS} s`);
      const run = await runMode(docker, status, mode, at);
      text(`# mode ${mode}${sweep.length > 1 ? `, ${connections} connections` : ''}: ${MODE_PATHS[mode].url} from ${MODE_PATHS[mode].client.namespace}/client\n${run.text}`);
      results.push(run.result);
    }
  }
  text(summaryTable(results));
  if (json) io.out(perfJson(results, settings));
  return results.some((r) => r.errors > 0) ? 1 : 0;
}
