// The rules the lab writes for a dump's injected pod (istio-init's, or istio-cni's in CNI mode), compared rule by rule with the customer's iptables-save or istio-init log.
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
import { InjectionError, cniPodInfoOf, cniRedirect, injectedForCni, injectorArgs, podTemplateOf, type InjectorResult } from '../injection';
import { DumpError, rulesText, type Dump, type DumpObject, type RulesFile } from './read-dump';

export interface DumpDiff {
  equal: boolean;
  /** One block per address family, as `sidecar-lab iptables --diff` prints it. */
  text: string;
  pod: string;
  rulesFile: string;
  /** Where the expected rules came from: istio-init's arguments, or istio-cni reading the pod's annotations. */
  source: string;
}

const podName = (o: DumpObject): string => {
  const m = o.value.metadata as Record<string, unknown> | undefined;
  return `${String(m?.namespace ?? 'default')}/${String(m?.name ?? '?')}`;
};

const initNames = (o: DumpObject): string[] => {
  const spec = o.value.spec as { initContainers?: { name?: unknown }[]; containers?: { name?: unknown }[] } | undefined;
  return (spec?.initContainers ?? []).map((c) => String(c?.name ?? ''));
};

/** A Pod with istio-init, or injected in Istio's CNI mode (istio-validation and istio-proxy, no istio-init). */
function isInjected(o: DumpObject): boolean {
  if (o.value.kind !== 'Pod') return false;
  return initNames(o).includes('istio-init') || injectedForCni(o.value.spec);
}

function pickPod(dump: Dump, wanted: string | undefined, path: string): DumpObject {
  const injected = dump.objects.filter(isInjected);
  const matches = wanted
    ? injected.filter((o) => {
        const n = podName(o).split('/')[1];
        return n === wanted || podName(o) === wanted || n.startsWith(`${wanted}-`);
      })
    : injected;
  if (matches.length === 1) return matches[0];
  if (injected.length === 0) throw new DumpError(`diff: ${path}: no injected pod (a Pod with an istio-init container, or istio-validation and istio-proxy in CNI mode)`);
  if (matches.length === 0) throw new DumpError(`diff: --pod ${wanted}: no such injected pod in ${path} (${injected.map(podName).join(', ')})`);
  throw new DumpError(`diff: ${path} has ${matches.length} injected pods; pick one with --pod (${matches.map(podName).join(', ')})`);
}

/** istio-init's arguments, or in CNI mode what istio-cni reads from the pod (cni-redirect.ts), with a label saying which. */
function expectedRules(pod: DumpObject): { injected: InjectorResult; source: string; label: string } {
  try {
    if (initNames(pod).includes('istio-init')) {
      return { injected: injectorArgs(podTemplateOf(pod.value).pod), source: "istio-init's arguments", label: `the lab (istio-init of ${podName(pod)})` };
    }
    const cni = cniRedirect(cniPodInfoOf(pod.value.metadata, pod.value.spec));
    const source = cni.excluded
      ? `istio-cni, which writes no rules for this pod (${cni.excluded})`
      : "istio-cni's plugin, from the pod's annotations and istio-proxy";
    return { injected: cni, source, label: `the lab (istio-cni for ${podName(pod)})` };
  } catch (e) {
    if (e instanceof InjectionError) throw new DumpError(`diff: ${pod.from}: ${e.message}`);
    throw e;
  }
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

/** Compares the lab's rules for the dump's injected pod (from its istio-init arguments, or as istio-cni derives them) with the dump's rules. */
export function diffDump(dump: Dump, path: string, opts: { pod?: string; rules?: string } = {}): DumpDiff {
  const pod = pickPod(dump, opts.pod, path);
  const rules = pickRules(dump, opts.rules, path);
  const { injected, source, label } = expectedRules(pod);
  const parsed = parseArgs(injected.args, injected.env);
  const config = withIdentityDefaults({ ...parsed.config, dryRun: true });
  validateConfig(config, parsed.sources);
  const want = injected.hasInitContainer ? restoreInputs(config) : { v4: '', v6: '' };
  const saved = splitSaveFamilies(rulesText(rules.text));
  const labels: [string, string] = [label, rules.path];
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
  return { equal, text, pod: podName(pod), rulesFile: rules.path, source };
}
