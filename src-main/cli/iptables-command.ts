// `sidecar-lab iptables`: istio-iptables' dry run on the host, for flags or a pod file, and diffs with a live save.
import { readFileSync } from 'node:fs';
import { LineCounter, parseAllDocuments } from 'yaml';
import type { Document } from 'yaml';
import {
  IptablesConfigError,
  SaveParseError,
  diffRuleSets,
  dryRun,
  formatDiff,
  parseArgs,
  restoreInputs,
  splitSaveFamilies,
  usage,
  validateConfig,
  withIdentityDefaults,
} from '../../src-pod/istio-iptables';
import type { ExtraFlag } from '../../src-pod/istio-iptables';
import {
  InjectionError,
  cniPodInfoOf,
  cniRedirect,
  formatArgsLine,
  injectedForCni,
  injectorArgs,
  meshDefaultsFromValues,
  podTemplateOf,
} from '../lab/injection';
import { ScenarioError } from '../lab/scenario';
import { injectorValuesInText } from '../lab/scenario/injector-values';
import type { CniRedirect, InjectorResult, InjectorValues, WorkloadPod } from '../lab/injection';

export interface IptablesCommandIO {
  out: (s: string) => void;
  err: (s: string) => void;
}

const EXTRA_FLAGS: ExtraFlag[] = [
  {
    long: 'pod',
    kind: 'string',
    help: 'FILE: YAML with a Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet or Job (and optionally ConfigMap istio-system/istio-sidecar-injector, whose data.values apply); its flags come first',
  },
  {
    long: 'print-flags',
    kind: 'bool',
    help: 'with --pod: print the istio-iptables arguments on one line instead of the rules',
  },
  {
    long: 'diff',
    kind: 'string',
    help: 'SAVE_FILE: compare the rules with an iptables-save dump (exit 1 when they differ)',
  },
  {
    long: 'env',
    kind: 'string',
    help: 'NAME=VALUE: an environment variable istio-iptables would see (repeatable)',
  },
];

const DESCRIPTION =
  "Prints the rules istio-iptables writes for these flags, or for the istio-init of a pod (--pod), as Istio's dry run does.";

const NOTES = `Notes:
  Always a dry run: nothing is applied on this machine (--cleanup-only and --dry-run=false are refused).
  The host is not the pod: IPv4 rules only unless --enable-ipv6, and no DNS servers unless --dns-servers
  (so --redirect-dns writes DNS rules only with --dns-servers or --capture-all-dns). The host's environment
  is not read; give variables with --env (with --pod, istio-init's environment from the pod is used).
`;

class CommandError extends Error {}

/** Line and column of a YAML error or node offset, for "file:line:col" messages. */
function position(lc: LineCounter, offset: number): string {
  const p = lc.linePos(offset);
  return `${p.line}:${p.col}`;
}

interface PodFile {
  workload: WorkloadPod;
  doc: Document;
  lines: LineCounter;
  /** The injector's values from a ConfigMap istio-sidecar-injector beside the pod, else Istio's defaults. */
  values: InjectorValues;
}

function readPodFile(file: string): PodFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CommandError(`iptables: cannot read --pod file ${file}: ${(e as Error).message}`);
  }
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
  const all = Array.isArray(docs) ? docs : [docs];
  for (const d of all) {
    const e = d.errors[0];
    if (e)
      throw new CommandError(
        `iptables: ${file}:${position(lines, e.pos[0])}: invalid YAML: ${e.message.split('\n')[0]}`,
      );
  }
  let values: InjectorValues;
  try {
    values = injectorValuesInText(text, file);
  } catch (e) {
    if (e instanceof ScenarioError) throw new CommandError(`iptables: ${e.message}`);
    throw e;
  }
  const found: PodFile[] = [];
  for (const doc of all) {
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    try {
      found.push({ workload: podTemplateOf(value), doc, lines, values });
    } catch {
      // Services, ConfigMaps and other documents in the same file are skipped.
    }
  }
  if (found.length === 0)
    throw new CommandError(
      `iptables: ${file}: no Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet or Job found`,
    );
  return found[0];
}

/** Where an annotation is in the file, to point at it in an error. */
function annotationPosition(p: PodFile, annotation: string): string | null {
  const prefix =
    p.workload.kind === 'Pod'
      ? []
      : p.workload.kind === 'CronJob'
        ? ['spec', 'jobTemplate', 'spec', 'template']
        : ['spec', 'template'];
  const node = p.doc.getIn([...prefix, 'metadata', 'annotations', annotation], true) as
    { range?: [number, number, number] } | undefined;
  return node?.range ? position(p.lines, node.range[0]) : null;
}

/**
 * The rules' settings for the pod: istio-init's arguments as the injector derives them, or for a
 * pod injected in CNI mode (istio-validation, no istio-init) what istio-cni's plugin reads from
 * its annotations and istio-proxy.
 */
function podInjection(file: string): { result: InjectorResult; pod: PodFile; cni?: CniRedirect } {
  const pod = readPodFile(file);
  try {
    const { metadata, spec } = pod.workload.pod;
    if (injectedForCni(spec)) {
      const cni = cniRedirect(cniPodInfoOf(metadata ?? { annotations: pod.workload.pod.annotations }, spec));
      return { result: cni, pod, cni };
    }
    return { result: injectorArgs(pod.workload.pod, meshDefaultsFromValues(pod.values)), pod };
  } catch (e) {
    if (e instanceof InjectionError) {
      const at = e.annotation ? annotationPosition(pod, e.annotation) : null;
      throw new CommandError(`iptables: ${file}${at ? `:${at}` : ''}: ${e.message}`);
    }
    throw e;
  }
}

function parseEnvFlags(values: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0)
      throw new CommandError(`iptables: invalid value "${v}" for flag --env: expected NAME=VALUE`);
    env[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return env;
}

/** `sidecar-lab iptables [istio-iptables flags] [--pod FILE [--print-flags]] [--diff SAVE_FILE]`. */
export async function iptablesCommand(argv: string[], io: IptablesCommandIO): Promise<number> {
  try {
    const first = parseArgs(argv, {}, { extraFlags: EXTRA_FLAGS });
    if (first.help) {
      io.out(`${usage(EXTRA_FLAGS, 'sidecar-lab iptables', DESCRIPTION)}\n${NOTES}`);
      return 0;
    }
    const podFile = first.extras.pod.at(-1);
    const printFlagsValue = first.extras['print-flags'].at(-1);
    const printFlags =
      printFlagsValue !== undefined && !/^(0|f|F|FALSE|false|False)$/.test(printFlagsValue);
    const diffFile = first.extras.diff.at(-1);
    if (printFlags && !podFile)
      throw new CommandError(
        'iptables: --print-flags needs --pod FILE (it prints the flags the injector derives from the pod)',
      );
    let args = argv;
    let env = parseEnvFlags(first.extras.env);
    if (podFile) {
      const { result, pod, cni } = podInjection(podFile);
      const what = `${pod.workload.kind} ${pod.workload.name}`;
      if (cni?.excluded) {
        io.err(`iptables: ${podFile}: ${what} is injected in CNI mode, and istio-cni writes no rules for it: ${cni.excluded}\n`);
        return 0;
      }
      if (cni) io.err(`iptables: ${podFile}: ${what} is injected in CNI mode (istio-validation, no istio-init): the rules istio-cni's plugin writes from its annotations and istio-proxy\n`);
      if (!result.hasInitContainer) {
        io.err(
          `iptables: ${podFile}: ${pod.workload.kind} ${pod.workload.name} has interceptionMode NONE: the injector adds no istio-init, so no rules are written\n`,
        );
        return 0;
      }
      if (printFlags) {
        io.out(`${formatArgsLine(result.args)}\n`);
        const envText = Object.entries(result.env).map(([k, v]) => `${k}=${v}`);
        if (envText.length > 0) io.err(`istio-init environment: ${envText.join(' ')}\n`);
        return 0;
      }
      args = [...result.args, ...argv];
      env = { ...result.env, ...env };
    }
    const parsed = parseArgs(args, env, { extraFlags: EXTRA_FLAGS });
    if (parsed.config.cleanupOnly) {
      throw new CommandError(
        'iptables: --cleanup-only changes a real network namespace; this command only prints rules (run istio-iptables --cleanup-only inside the pod instead)',
      );
    }
    if (parsed.explicit.has('dryRun') && !parsed.config.dryRun) {
      throw new CommandError(
        'iptables: applying rules is not possible here (--dry-run=false): this command only prints what istio-iptables would write',
      );
    }
    const config = withIdentityDefaults({ ...parsed.config, dryRun: true });
    validateConfig(config, parsed.sources);
    if (!diffFile) {
      io.out(dryRun(config));
      return 0;
    }
    let saveText: string;
    try {
      saveText = readFileSync(diffFile, 'utf8');
    } catch (e) {
      throw new CommandError(
        `iptables: cannot read --diff file ${diffFile}: ${(e as Error).message}`,
      );
    }
    const saved = splitSaveFamilies(saveText);
    const want = restoreInputs(config);
    const families: ['IPv4' | 'IPv6', string, string][] = [];
    if (saved.v4.trim() !== '' || !config.enableInboundIpv6)
      families.push(['IPv4', want.v4, saved.v4]);
    if (config.enableInboundIpv6 || saved.v6.trim() !== '')
      families.push(['IPv6', want.v6, saved.v6]);
    let differ = false;
    for (const [name, expected, actual] of families) {
      let diff;
      try {
        diff = diffRuleSets(expected, actual);
      } catch (e) {
        if (e instanceof SaveParseError)
          throw new CommandError(`iptables: ${diffFile}: ${e.message}`);
        throw e;
      }
      differ ||= !diff.equal;
      io.out(`${name}: ${formatDiff(diff, ['the rules istio-iptables would write', diffFile])}`);
    }
    return differ ? 1 : 0;
  } catch (e) {
    if (e instanceof CommandError || e instanceof IptablesConfigError) {
      io.err(`${e.message.replace(/^istio-iptables: /, 'iptables: ')}\n`);
      return 1;
    }
    throw e;
  }
}
