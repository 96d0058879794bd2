// `sidecar-lab`: the command line over the lab core.
import { connectEngine } from '../lab/docker/engine';
import { LabAlreadyUpError, labDown, labsOnEngine, readLabRecord } from '../lab/runtime/lab';
import { ensureApiHost, hostCommand, kubeconfigCommand } from './api-command';
import { waitForReadyPods } from './wait-ready';
import { execAttached, findExecTarget } from '../lab/runtime/exec';
import { TRACE_WAIT_MS, waitUntilTraced } from '../lab/runtime/capture-registry';
import { labStatus } from '../lab/runtime/status';
import { clusterStatus } from '../lab/api/cluster-status';
import { ScenarioError } from '../lab/scenario/errors';
import { parseArgs, flagString, UsageError } from './args';
import { bundleCommand } from './bundle-command';
import { imagesCommand, isOffline } from './images-command';
import { iptablesCommand } from './iptables-command';
import { diffCommand, exportCommand, importCommand } from './dump-command';
import { applyCommand, logsCommand } from './apply-command';
import { serveCommand } from './serve-command';
import { perfCommand } from './perf-command';
import { workshopCommand } from './workshop-command';
import { consoleIO, progressPrinter, type CliIO } from './output';
import { printScenarioNotes, printSymptoms, scenariosCommand, symptomsOf } from './up-command';
import { startLab } from '../lab/session';
import { printStatus } from './status-output';

const USAGE = `sidecar-lab: a local Istio sidecar lab on Docker

Usage:
  sidecar-lab up [SCENARIO] [--offline] [--verbose]   start a lab (a YAML file or a built-in name; default: interception)
  sidecar-lab kubeconfig [--lab NAME]                 print \`export KUBECONFIG=…\` for kubectl against the lab's Kubernetes API
  sidecar-lab status [--json] [--lab NAME]            pods, containers, IPs and Services of the running lab
  sidecar-lab exec POD [-n NS] [-c CONTAINER] [-i] [-t] [-u USER] -- CMD…
                                                      run a command in a pod's container
  sidecar-lab logs POD [-n NS] [-c CONTAINER] [--tail N]  a container's log (istio-proxy: the access log)
  sidecar-lab apply FILE [--lab NAME]                 add or change Services, ServiceEntries, Sidecars, mesh config
  sidecar-lab down [--all] [--lab NAME]               remove a lab (--all: every lab's containers, networks, volumes)
  sidecar-lab images build|list|save FILE|load FILE   the lab's images (save/load: for machines with no internet)
  sidecar-lab bundle save FILE [WORKSHOP_DIR|SCENARIO.yaml]… | load FILE
                                                      images, workshops and scenarios in one file, for a classroom with no internet
  sidecar-lab serve [--port N] [--offline]            the lab's window in a browser: prints its URL (with a token) first
  sidecar-lab perf [--mode MODE]… [--qps N] [--connections N[,N…]|sweep] [--payload BYTES] [--duration S] [--json]
                                                      the sidecar's cost on the running performance lab
  sidecar-lab scenarios                               the built-in scenarios
  sidecar-lab iptables [FLAGS] | --pod FILE [--print-flags]
                                                      what istio-iptables writes for flags or a pod (dry run)
  sidecar-lab istioctl proxy-config|kube-inject|analyze|version …  istioctl's commands, with istioctl's output
  sidecar-lab import PATH [-o FILE]                   a customer's dump (file or folder of kubectl YAML) as a scenario
  sidecar-lab diff PATH [--pod NAME] [--rules FILE]   the lab's rules for the dump's injected pod against its
    [--config-dump FILE] [--lab-dump FILE]            iptables-save or istio-init log, and the lab's proxy's
                                                      listeners, clusters, routes and endpoints against its
                                                      config_dump (exit 1 when they differ)
  sidecar-lab export [FILE] [--lab NAME]              the running lab's objects as one file that \`up\` runs again;
    [--symptom COMMAND]…                              each --symptom is written to its Lab document and printed by \`up FILE\`
                                                      and \`kubectl apply\` takes (stdout without FILE)
  sidecar-lab workshop list | env | start NAME | show NAME [STEP] [--solution] | check NAME [STEP] | reset NAME [STEP] | verify NAME [STEP…]
                                                      self-checking courses: steps checked on the lab's live traffic

Environment: SIDECAR_LAB_OFFLINE=1 never contacts a registry; DOCKER_HOST picks the engine.`;

/** The lab a command acts on: the one named, else the only one that is up. */
async function pickLab(io: CliIO, named: string | undefined): Promise<string | undefined> {
  if (named) return named;
  const labs = await labsOnEngine(await connectEngine());
  if (labs.length === 1) return labs[0];
  if (labs.length === 0) {
    io.err('no lab is up: `sidecar-lab up interception` starts one');
    return undefined;
  }
  throw new UsageError(`several labs are up (${labs.join(', ')}): say which with --lab NAME`);
}

/** `given`: the IO a caller passed to main (tests); istioctl then writes its bytes there instead of to stdout/stderr. */
async function run(argv: string[], io: CliIO, given?: CliIO): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      io.out(USAGE);
      return command === undefined ? 2 : 0;
    case '--version':
      io.out('sidecar-lab 0.1.0');
      return 0;
    case 'scenarios':
      return scenariosCommand(io);
    case 'iptables':
      return iptablesCommand(rest, { out: io.out, err: io.err });
    case 'istioctl':
      return (await import('../istioctl/cli-entry')).runIstioctl(rest, given);
    case 'images': {
      const args = parseArgs(rest, [{ name: 'offline' }, { name: 'verbose', short: 'v' }], 'images');
      const [sub, ...positionals] = args.positionals;
      const verboseIO = { ...io, verbose: args.flags.has('verbose') };
      return imagesCommand(sub, positionals, args.flags.has('offline'), verboseIO);
    }
    case 'bundle': {
      const args = parseArgs(rest, [{ name: 'offline' }, { name: 'verbose', short: 'v' }], 'bundle');
      const [sub, ...positionals] = args.positionals;
      return bundleCommand(sub, positionals, args.flags.has('offline'), { ...io, verbose: args.flags.has('verbose') });
    }
    case 'up': {
      const args = parseArgs(rest, [{ name: 'offline' }, { name: 'verbose', short: 'v' }], 'up');
      if (args.positionals.length > 1) throw new UsageError(`up: one SCENARIO at most, got ${args.positionals.join(' ')}`);
      const verboseIO = { ...io, verbose: args.flags.has('verbose') };
      const started = Date.now();
      let named: string | undefined;
      let symptoms: string[] = [];
      let lab: string;
      try {
        lab = await startLab(args.positionals[0] ?? 'interception', {
          offline: isOffline(args.flags.has('offline')),
          progress: progressPrinter(verboseIO),
          log: (m) => io.err(`up: ${m}`),
          onPrepared: (prepared) => {
            named = prepared.plan.lab;
            symptoms = symptomsOf(prepared);
            printScenarioNotes(prepared, io);
          },
        });
      } catch (err) {
        // `up` on a running lab brings back its Kubernetes API if that process died.
        if (!(err instanceof LabAlreadyUpError) || !named || !readLabRecord(named)?.ready) throw err;
        io.err(`up: lab ${named} is already up`);
        await ensureApiHost(named, (m) => io.err(`up: ${m}`));
        await waitForReadyPods(named, (m) => io.err(`up: ${m}`));
        io.err('up: `eval $(sidecar-lab kubeconfig)` points kubectl at it');
        return 0;
      }
      await ensureApiHost(lab, (m) => io.err(`up: ${m}`));
      await waitForReadyPods(lab, (m) => io.err(`up: ${m}`));
      io.err(`up: lab ${lab} is up in ${((Date.now() - started) / 1000).toFixed(1)} s; \`eval $(sidecar-lab kubeconfig)\` points kubectl at it`);
      const docker = await connectEngine();
      printStatus(await clusterStatus(docker, lab), io);
      printSymptoms(symptoms, io);
      return 0;
    }
    case 'host': {
      const args = parseArgs(rest, [{ name: 'lab', takesValue: true }], 'host');
      const lab = flagString(args, 'lab');
      if (!lab) throw new UsageError('host: usage: sidecar-lab host --lab NAME (started by `up`)');
      return hostCommand(lab, io);
    }
    case 'kubeconfig': {
      const args = parseArgs(rest, [{ name: 'lab', takesValue: true }], 'kubeconfig');
      const lab = await pickLab(io, flagString(args, 'lab'));
      return lab ? kubeconfigCommand(lab, io) : 1;
    }
    case 'status': {
      const args = parseArgs(rest, [{ name: 'json' }, { name: 'lab', takesValue: true }], 'status');
      const lab = await pickLab(io, flagString(args, 'lab'));
      if (!lab) {
        if (args.flags.has('json')) io.out('null');
        return args.flags.has('json') ? 0 : 1;
      }
      const status = await clusterStatus(await connectEngine(), lab);
      if (args.flags.has('json')) io.out(JSON.stringify(status, null, 2));
      else printStatus(status, io);
      return 0;
    }
    case 'exec': {
      const args = parseArgs(
        rest,
        [
          { name: 'namespace', short: 'n', takesValue: true },
          { name: 'container', short: 'c', takesValue: true },
          { name: 'user', short: 'u', takesValue: true },
          { name: 'lab', takesValue: true },
          { name: 'stdin', short: 'i' },
          { name: 'tty', short: 't' },
        ],
        'exec',
      );
      const [pod] = args.positionals;
      if (!pod || args.rest.length === 0) {
        throw new UsageError('exec: usage: sidecar-lab exec POD [-c CONTAINER] -- CMD…');
      }
      const lab = await pickLab(io, flagString(args, 'lab'));
      if (!lab) return 1;
      const docker = await connectEngine();
      const target = findExecTarget(
        await labStatus(docker, lab),
        pod,
        flagString(args, 'namespace'),
        flagString(args, 'container'),
      );
      // A pod the lab's capture does not trace yet (just started) would open its first connections unseen.
      if ((await waitUntilTraced(docker, lab, target.pod.namespace, target.pod.name, TRACE_WAIT_MS)) === 'timeout') {
        io.err(`exec: the lab's capture does not trace pod ${target.pod.namespace}/${target.pod.name} yet: this command's connections may be missing from the flows`);
      }
      return execAttached(docker, target, args.rest, {
        stdin: args.flags.has('stdin'),
        tty: args.flags.has('tty'),
        user: flagString(args, 'user'),
      });
    }
    case 'apply': {
      const args = parseArgs(rest, [{ name: 'lab', takesValue: true }, { name: 'filename', short: 'f', takesValue: true }], 'apply');
      const file = flagString(args, 'filename') ?? args.positionals[0];
      if (!file) throw new UsageError('apply: usage: sidecar-lab apply FILE');
      const lab = await pickLab(io, flagString(args, 'lab'));
      return lab ? applyCommand(lab, file, io) : 1;
    }
    case 'logs': {
      const args = parseArgs(
        rest,
        [
          { name: 'namespace', short: 'n', takesValue: true },
          { name: 'container', short: 'c', takesValue: true },
          { name: 'tail', takesValue: true },
          { name: 'lab', takesValue: true },
        ],
        'logs',
      );
      const [pod] = args.positionals;
      if (!pod) throw new UsageError('logs: usage: sidecar-lab logs POD [-c CONTAINER]');
      const tailText = flagString(args, 'tail');
      if (tailText !== undefined && !/^\d+$/.test(tailText)) throw new UsageError(`logs: --tail takes a number of lines, got ${tailText}`);
      const lab = await pickLab(io, flagString(args, 'lab'));
      if (!lab) return 1;
      return logsCommand(lab, pod, flagString(args, 'namespace'), flagString(args, 'container'), tailText ? Number(tailText) : undefined, io);
    }
    case 'serve': {
      const args = parseArgs(rest, [{ name: 'port', takesValue: true }, { name: 'offline' }], 'serve');
      const portText = flagString(args, 'port') ?? '0';
      if (!/^\d+$/.test(portText) || Number(portText) > 65535) {
        throw new UsageError(`serve: --port takes a port number 0-65535, got ${portText}`);
      }
      return serveCommand(Number(portText), isOffline(args.flags.has('offline')), io);
    }
    case 'perf':
      return perfCommand(rest, io, (named) => pickLab(io, named));
    case 'workshop':
      return workshopCommand(rest, io);
    case 'import': {
      const args = parseArgs(rest, [{ name: 'output', short: 'o', takesValue: true }], 'import');
      const [path, ...more] = args.positionals;
      if (!path || more.length > 0) throw new UsageError('import: usage: sidecar-lab import PATH [-o FILE]');
      return importCommand(path, flagString(args, 'output'), io);
    }
    case 'export': {
      const args = parseArgs(rest, [{ name: 'lab', takesValue: true }, { name: 'symptom', takesValue: true, repeatable: true }], 'export');
      const [file, ...more] = args.positionals;
      if (more.length > 0) throw new UsageError('export: usage: sidecar-lab export [FILE] [--lab NAME] [--symptom COMMAND]…');
      const symptoms = args.lists.get('symptom') ?? [];
      const bad = symptoms.find((s) => s.trim() === '' || s.includes('\n'));
      if (bad !== undefined) throw new UsageError(`export: --symptom must be one command on one line, got ${JSON.stringify(bad)}`);
      const lab = await pickLab(io, flagString(args, 'lab'));
      if (!lab) return 1;
      return exportCommand(lab, file, io, symptoms);
    }
    case 'diff': {
      const args = parseArgs(
        rest,
        ['pod', 'rules', 'config-dump', 'lab-dump', 'lab'].map((name) => ({ name, takesValue: true })),
        'diff',
      );
      const [path, ...more] = args.positionals;
      if (!path || more.length > 0)
        throw new UsageError('diff: usage: sidecar-lab diff PATH [--pod NAME] [--rules FILE] [--config-dump FILE] [--lab-dump FILE] [--lab NAME]');
      return diffCommand(
        path,
        {
          pod: flagString(args, 'pod'),
          rules: flagString(args, 'rules'),
          configDump: flagString(args, 'config-dump'),
          labDump: flagString(args, 'lab-dump'),
          lab: () => pickLab(io, flagString(args, 'lab')),
        },
        io,
      );
    }
    case 'down': {
      const args = parseArgs(rest, [{ name: 'all' }, { name: 'lab', takesValue: true }], 'down');
      const docker = await connectEngine();
      const lab = args.flags.has('all') ? undefined : await pickLab(io, flagString(args, 'lab'));
      if (!lab && !args.flags.has('all')) return 0;
      const kinds = new Map<string, number>();
      const removed = await labDown(docker, lab, (m) => {
        const kind = m.split(' ')[1] ?? 'object';
        kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      });
      const what = [...kinds].map(([k, n]) => `${n} ${k}${n === 1 ? '' : 's'}`).join(', ');
      io.err(`down: ${lab ? `lab ${lab}` : 'all labs'}: removed ${removed} objects${what ? ` (${what})` : ''}`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command ${command} (sidecar-lab --help lists them)`);
  }
}

export async function main(argv: string[], given?: CliIO): Promise<number> {
  const io = given ?? consoleIO();
  try {
    return await run(argv, io, given);
  } catch (err) {
    if (err instanceof ScenarioError) io.err(err.formatAll());
    else if (err instanceof UsageError) io.err(err.message);
    else io.err(`sidecar-lab: ${err instanceof Error ? err.message : String(err)}`);
    return err instanceof UsageError ? 2 : 1;
  }
}
