// `istioctl analyze [FILE…]`: reads the running cluster through its API (unless --use-kube=false) and the files, runs the analyzers, prints istioctl's lines and exit code.
import { EXIT_ANALYZER_FOUND_ISSUES, IstioctlError } from '../errors';
import { flagBool, flagString, parseFlags } from '../flags';
import { GLOBAL_FLAGS } from '../global-flags';
import type { IstioctlContext } from '../proxy-config';
import { ISTIO_VERSION } from '../version';
import { analyze } from './analyzers';
import { friendlyName, levelRank, messageString, messageText, reference, sortedDeduped, type Level } from './messages';
import { liveResources } from './live';
import { kubeFlags } from '../cluster';
import { parseResources, type Resource } from './resources';

function threshold(text: string, flag: string): Level {
  const t = text.toLowerCase();
  if (t === 'error') return 'Error';
  if (t === 'warning') return 'Warning';
  if (t === 'info') return 'Info';
  throw new IstioctlError(`invalid argument "${text}" for "--${flag}" flag: valid options are Info, Warning, Error`);
}

export async function analyzeCommand(args: string[], ctx: IstioctlContext): Promise<number> {
  const p = parseFlags(args, [
    ...GLOBAL_FLAGS,
    { name: 'use-kube', kind: 'bool' },
    { name: 'all-namespaces', short: 'A', kind: 'bool' },
    { name: 'output', short: 'o', kind: 'string' },
    { name: 'failure-threshold', kind: 'string' },
    { name: 'output-threshold', kind: 'string' },
    { name: 'color', kind: 'bool', unimplemented: true },
    { name: 'recursive', short: 'R', kind: 'bool', unimplemented: true },
    { name: 'list-analyzers', short: 'L', kind: 'bool', unimplemented: true },
    { name: 'suppress', short: 'S', kind: 'string', unimplemented: true },
    { name: 'meshConfigFile', kind: 'string', unimplemented: true },
    { name: 'verbose', short: 'v', kind: 'bool', unimplemented: true },
    { name: 'timeout', kind: 'string', unimplemented: true },
    { name: 'revision', short: 'r', kind: 'string' },
  ]);
  const useKube = flagBool(p, 'use-kube', true);
  if (!useKube && p.positionals.length === 0) throw new IstioctlError('no files to analyze: give FILE… with --use-kube=false');
  const format = flagString(p, 'output', 'log');
  if (format !== 'log' && format !== 'json') throw new IstioctlError(`invalid output format "${format}": the lab's istioctl prints log or json`);
  const failAt = threshold(flagString(p, 'failure-threshold', 'Error'), 'failure-threshold');
  const showAt = threshold(flagString(p, 'output-threshold', 'Info'), 'output-threshold');
  const allNamespaces = flagBool(p, 'all-namespaces', false);
  // The cluster's objects (and the files laid over them), or the files alone.
  const cluster = useKube ? await ctx.cluster(kubeFlags(p)) : undefined;
  const namespace = flagString(p, 'namespace', cluster?.namespace ?? 'default');
  // The revision's view of the cluster (istioctl's default is `default`): Istio config labelled for another revision is not read.
  const resources: Resource[] = cluster ? await liveResources(cluster.api, flagString(p, 'revision', 'default')) : [];
  for (const file of p.positionals) {
    let text: string;
    try {
      text = ctx.readFile(file);
    } catch (err) {
      throw new IstioctlError(`open ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
    }
    resources.push(...parseResources(file, text, namespace));
  }
  const inScope = allNamespaces ? resources : resources.filter((r) => r.namespace === '' || r.namespace === namespace);
  const all = sortedDeduped(analyze(resources).filter((m) => inScope.includes(m.resource)));
  const shown = all.filter((m) => levelRank(m.type.level) <= levelRank(showAt));
  const target = allNamespaces ? 'all namespaces' : `namespace: ${namespace}`;

  if (format === 'json') {
    const rows = shown.map((m) => ({
      code: m.type.code,
      documentationUrl: `https://istio.io/v${ISTIO_VERSION.split('.').slice(0, 2).join('.')}/docs/reference/config/analysis/${m.type.code.toLowerCase()}/`,
      level: m.type.level,
      message: messageText(m),
      origin: friendlyName(m.resource),
      ...(reference(m) ? { reference: reference(m) } : {}),
    }));
    ctx.out(`${JSON.stringify(rows, null, '\t')}\n`);
  } else if (shown.length === 0) {
    ctx.err(`\u2714 No validation issues found when analyzing ${target}.\n`);
  } else {
    for (const m of shown) ctx.out(`${messageString(m)}\n`);
  }
  if (all.some((m) => levelRank(m.type.level) <= levelRank(failAt))) {
    const minor = ISTIO_VERSION.split('.').slice(0, 2).join('.');
    throw new IstioctlError(
      `Analyzers found issues when analyzing ${target}.\nSee https://istio.io/v${minor}/docs/reference/config/analysis for more information about causes and resolutions.`,
      EXIT_ANALYZER_FOUND_ISSUES,
    );
  }
  return 0;
}
