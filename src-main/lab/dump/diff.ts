// The rules the lab writes for a dump's injected pod, compared rule by rule with the customer's iptables-save or istio-init log.
import { readFileSync } from 'node:fs';
import {
  SaveParseError,
  diffRuleSets,
  formatDiff,
  parseArgs,
  restoreInputs,
  splitSaveFamilies,
  validateConfig,
  withIdentityDefaults,
} from '../../../src-pod/istio-iptables';
import { InjectionError, injectorArgs, podTemplateOf } from '../injection';
import { DumpError, rulesText, type Dump, type DumpObject, type RulesFile } from './read-dump';

export interface DumpDiff {
  equal: boolean;
  /** One block per address family, as `sidecar-lab iptables --diff` prints it. */
  text: string;
  pod: string;
  rulesFile: string;
}

const podName = (o: DumpObject): string => {
  const m = o.value.metadata as Record<string, unknown> | undefined;
  return `${String(m?.namespace ?? 'default')}/${String(m?.name ?? '?')}`;
};

function hasIstioInit(o: DumpObject): boolean {
  const spec = o.value.spec as { initContainers?: { name?: unknown }[] } | undefined;
  return o.value.kind === 'Pod' && (spec?.initContainers ?? []).some((c) => c?.name === 'istio-init');
}

function pickPod(dump: Dump, wanted: string | undefined, path: string): DumpObject {
  const injected = dump.objects.filter(hasIstioInit);
  const matches = wanted
    ? injected.filter((o) => {
        const n = podName(o).split('/')[1];
        return n === wanted || podName(o) === wanted || n.startsWith(`${wanted}-`);
      })
    : injected;
  if (matches.length === 1) return matches[0];
  if (injected.length === 0) throw new DumpError(`diff: ${path}: no injected pod (a Pod with an istio-init container)`);
  if (matches.length === 0) throw new DumpError(`diff: --pod ${wanted}: no such injected pod in ${path} (${injected.map(podName).join(', ')})`);
  throw new DumpError(`diff: ${path} has ${matches.length} injected pods; pick one with --pod (${matches.map(podName).join(', ')})`);
}

function pickRules(dump: Dump, file: string | undefined, path: string): RulesFile {
  if (file) {
    try {
      return { path: file, text: readFileSync(file, 'utf8') };
    } catch (e) {
      throw new DumpError(`diff: cannot read --rules file ${file}: ${(e as Error).message}`);
    }
  }
  if (dump.rules.length === 1) return dump.rules[0];
  if (dump.rules.length === 0) throw new DumpError(`diff: ${path}: no iptables-save or istio-init log (a file with a *nat table); give one with --rules`);
  throw new DumpError(`diff: ${path} has ${dump.rules.length} rule files; pick one with --rules (${dump.rules.map((r) => r.path).join(', ')})`);
}

/** Compares the lab's rules for the dump's injected pod (its istio-init arguments) with the dump's rules. */
export function diffDump(dump: Dump, path: string, opts: { pod?: string; rules?: string } = {}): DumpDiff {
  const pod = pickPod(dump, opts.pod, path);
  const rules = pickRules(dump, opts.rules, path);
  let injected;
  try {
    injected = injectorArgs(podTemplateOf(pod.value).pod);
  } catch (e) {
    if (e instanceof InjectionError) throw new DumpError(`diff: ${pod.from}: ${e.message}`);
    throw e;
  }
  const parsed = parseArgs(injected.args, injected.env);
  const config = withIdentityDefaults({ ...parsed.config, dryRun: true });
  validateConfig(config, parsed.sources);
  const want = restoreInputs(config);
  const saved = splitSaveFamilies(rulesText(rules.text));
  const labels: [string, string] = [`the lab (istio-init of ${podName(pod)})`, rules.path];
  const families: ['IPv4' | 'IPv6', string, string][] = [['IPv4', want.v4, saved.v4]];
  if (config.enableInboundIpv6 || saved.v6.trim() !== '') families.push(['IPv6', want.v6, saved.v6]);
  let equal = true;
  let text = '';
  for (const [family, expected, actual] of families) {
    let d;
    try {
      d = diffRuleSets(expected, actual);
    } catch (e) {
      if (e instanceof SaveParseError) throw new DumpError(`diff: ${rules.path}: ${e.message}`);
      throw e;
    }
    equal &&= d.equal;
    text += `${family}: ${formatDiff(d, labels)}`;
  }
  return { equal, text, pod: podName(pod), rulesFile: rules.path };
}
