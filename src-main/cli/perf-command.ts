// `sidecar-lab perf`: the sidecar's cost on the running `performance` lab, mode by mode, as fortio prints it and as one JSON document.
import { connectEngine } from '../lab/docker/engine';
import { labStatus } from '../lab/runtime/status';
import { MODE_PATHS, PERF_MODES, perfOptions, PerfUsageError, type PerfOptions } from '../lab/perf/modes';
import { checkPerfLab, runMode } from '../lab/perf/run-perf';
import { perfJson, summaryTable, type ModeResult } from '../lab/perf/summary';
import { parseArgs, flagString, UsageError } from './args';
import type { CliIO } from './output';

export const PERF_USAGE = `sidecar-lab perf [--mode MODE]… [--qps N] [--connections N] [--payload BYTES] [--duration SECONDS] [--json] [--lab NAME]
  modes: ${PERF_MODES.join(', ')} (repeatable or comma-separated; default: all, relay being the bare TCP relay as uid 1337)
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

export function parsePerfArgs(argv: readonly string[]): { opts: PerfOptions; json: boolean; lab?: string } {
  const { modes, rest } = splitModes(argv);
  const args = parseArgs(
    rest,
    ['qps', 'connections', 'payload', 'duration', 'lab'].map((name) => ({ name, takesValue: true })).concat([{ name: 'json', takesValue: false }]),
    'perf',
  );
  if (args.positionals.length > 0) throw new UsageError(`perf: unexpected argument ${args.positionals[0]}\n${PERF_USAGE}`);
  try {
    const opts = perfOptions({
      modes,
      qps: flagString(args, 'qps'),
      connections: flagString(args, 'connections'),
      payload: flagString(args, 'payload'),
      duration: flagString(args, 'duration'),
    });
    const lab = flagString(args, 'lab');
    return { opts, json: args.flags.has('json'), ...(lab ? { lab } : {}) };
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
  const { opts, json, lab: named } = parsePerfArgs(argv);
  const lab = await pickLab(named);
  if (!lab) return 1;
  const docker = await connectEngine();
  const status = await labStatus(docker, lab);
  checkPerfLab(status, opts.modes);
  const settings = { lab, qps: opts.qps, connections: opts.connections, payload: opts.payload, duration: opts.durationS };
  // With --json, stdout carries the document alone; fortio's text goes to stderr.
  const text = json ? io.err : io.out;
  const results: ModeResult[] = [];
  for (const mode of opts.modes) {
    io.err(`perf: ${mode} (${MODE_PATHS[mode].title}): ${opts.qps > 0 ? `${opts.qps} qps` : 'max qps'}, ${opts.connections} connections, ${opts.payload}-byte payload, ${opts.durationS} s`);
    const run = await runMode(docker, status, mode, opts);
    text(`# mode ${mode}: ${MODE_PATHS[mode].url} from ${MODE_PATHS[mode].client.namespace}/client\n${run.text}`);
    results.push(run.result);
  }
  text(summaryTable(results));
  if (json) io.out(perfJson(results, settings));
  return results.some((r) => r.errors > 0) ? 1 : 0;
}
