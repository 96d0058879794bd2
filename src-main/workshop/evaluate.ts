// Judging a check against evidence already gathered (flows, counter snapshots, command output, objects, logs): pure, with the learner-facing explanation.
import { counterDeltas } from '../lab/capture';
import type { Flow } from '../contract/types';
import { jsonpathText } from './jsonpath';
import type { AccessLogCheck, CommandCheck, CounterCheck, FileCheck, FlowCheck, ObjectCheck } from './types';

export interface CheckResult {
  pass: boolean;
  /** One or two sentences for the learner: what the evidence showed. */
  message: string;
}

export interface ServiceAddress {
  namespace: string;
  name: string;
  clusterIP: string | null;
}

/** A Deployment's name finds its pods (`sleep` → `sleep-5d8f…-x2x9q`), as `sidecar-lab exec` does. */
export function podMatches(want: string, actual: string): boolean {
  return actual === want || actual.startsWith(`${want}-`);
}

const spaces = (rule: string): string => rule.trim().replace(/\s+/g, ' ');

/** `httpbin.default:80` → `10.96.0.100:80`; an address or `:PORT` stays as written. */
export function resolveTo(to: string, services: ServiceAddress[]): string {
  const [host, port] = [to.slice(0, to.lastIndexOf(':')), to.slice(to.lastIndexOf(':') + 1)];
  if (host === '' || /^[\d.]+$/.test(host)) return to;
  const [name, namespace] = host.split('.');
  const svc = services.find((s) => s.name === name && s.namespace === namespace);
  if (!svc?.clusterIP) throw new Error(`flow.to: no Service ${name} in namespace ${namespace} with a ClusterIP in the lab`);
  return `${svc.clusterIP}:${port}`;
}

function toMatches(to: string, destination: string | undefined): boolean {
  if (!destination) return false;
  return to.startsWith(':') ? destination.endsWith(to) : destination === to;
}

function describeFlow(f: Flow): string {
  const how =
    f.verdict === 'bypassed'
      ? decidingRule(f)
        ? `bypassed the proxy through the rule \`${decidingRule(f)}\``
        : `bypassed the proxy: no rule of ISTIO_OUTPUT sent it there, it ran off the chain's end`
      : f.verdict === 'blocked'
        ? `was blocked${decidingRule(f) ? ` by the rule \`${decidingRule(f)}\`` : ''}`
        : `was intercepted${f.listener ? ` by listener ${f.listener}` : ''}${f.cluster ? `, cluster ${f.cluster}` : ''}`;
  const code = f.responseCode ? ` (response ${f.responseCode}${f.responseFlags && f.responseFlags !== '-' ? `, flags ${f.responseFlags}` : ''})` : '';
  return `${how}${code}`;
}

/** Every rule the flow's first packet matched (the jumps too, when the capture kept them), then the drawn hops'. */
function ruleTexts(f: Flow): string[] {
  return [...(f.rules ?? []), ...f.legs.map((l) => l.ruleText)].filter((t): t is string => !!t);
}

/** The rule that settled the flow's first leg: the REDIRECT, RETURN, ACCEPT or drop after the hook's entry rule; none when the packet ran off the chain. */
function decidingRule(f: Flow): string | undefined {
  return ruleTexts(f).find((t) => / -j (RETURN|REDIRECT|ACCEPT|DROP|REJECT)\b/.test(t));
}

/**
 * The learner's newest flow that fits the check's pod, direction and destination (the proxy's own
 * connections left out), judged on verdict, rule, listener, cluster and response.
 */
export function evaluateFlow(check: FlowCheck, flows: Flow[], services: ServiceAddress[], since: string): CheckResult {
  const to = check.to ? resolveTo(check.to, services) : undefined;
  const start = Date.parse(since);
  const candidates = flows
    .filter((f) => !f.proxyOwn && Date.parse(f.timings.startedAt) >= start)
    .filter((f) => (!check.pod || podMatches(check.pod, f.pod)) && (!check.namespace || f.namespace === check.namespace))
    .filter((f) => (!check.direction || f.direction === check.direction) && (!to || toMatches(to, f.destination)))
    .sort((a, b) => Date.parse(a.timings.startedAt) - Date.parse(b.timings.startedAt));
  const what = `${check.direction ? `${check.direction} ` : ''}request${check.to ? ` to ${check.to}` : ''}${check.pod ? ` from ${check.pod}` : ''}`;
  if (candidates.length === 0) {
    return { pass: false, message: `No ${what} since this step started: run the step's command, then check again.` };
  }
  // Prefer the request flow of the newest connection: it carries the HTTP response.
  const newest = candidates.at(-1)!;
  const last = candidates.filter((f) => f.timings.startedAt === newest.timings.startedAt).find((f) => f.responseCode) ?? newest;
  const wrong: string[] = [];
  if (check.verdict && last.verdict !== check.verdict) wrong.push(`it was expected to be ${check.verdict}`);
  if (check.rule && !ruleTexts(last).some((t) => spaces(t) === spaces(check.rule!))) wrong.push(`it was expected to go through the rule \`${check.rule}\``);
  if (check.listener && last.listener !== check.listener) wrong.push(`listener ${check.listener} was expected`);
  if (check.cluster && last.cluster !== check.cluster) wrong.push(`cluster ${check.cluster} was expected`);
  if (check.responseCode !== undefined && last.responseCode !== check.responseCode) wrong.push(`response ${check.responseCode} was expected`);
  if (check.responseFlags && last.responseFlags !== check.responseFlags) wrong.push(`response flags ${check.responseFlags} were expected`);
  const exact = check.to !== undefined && check.to === to && !to.startsWith(':');
  const said = `Your last ${what}${exact ? '' : ` (${last.destination ?? '?'})`} ${describeFlow(last)}`;
  if (wrong.length === 0) return { pass: true, message: `${said}.` };
  return { pass: false, message: `${said}; ${wrong.join('; ')}.` };
}

/** A rule's counter between the step's start and now (`iptables-save -c` of the pod's tap, both times). */
export function evaluateCounter(check: CounterCheck, before: string, after: string): CheckResult {
  const deltas = counterDeltas(before, after);
  const want = spaces(check.rule);
  const hit = [...deltas.rules.values()].find((r) => r.table === check.table && r.chain === check.chain && spaces(r.ruleText) === want);
  if (!hit) {
    const inChain = [...deltas.rules.values()].filter((r) => r.table === check.table && r.chain === check.chain).map((r) => `  ${r.ruleText}`);
    return {
      pass: false,
      message: `The ${check.table} table of ${check.pod} has no rule \`${check.rule}\`${inChain.length ? `; ${check.chain} holds:\n${inChain.join('\n')}` : ` (no chain ${check.chain})`}`,
    };
  }
  const moved = hit.packets > 0;
  const counted = `\`${hit.ruleText}\` counted ${hit.packets} packet${hit.packets === 1 ? '' : 's'} since this step started (${hit.totalPackets} in all)`;
  if (moved === check.increased) return { pass: true, message: `${counted}.` };
  const busy = [...deltas.rules.values()].filter((r) => r.table === check.table && r.packets > 0 && r !== hit).map((r) => `\`${r.ruleText}\` (+${r.packets})`);
  return {
    pass: false,
    message: check.increased
      ? `${counted}: no packet went through it yet.${busy.length ? ` Rules that counted meanwhile: ${busy.join(', ')}.` : ' No rule of that table counted anything: has the traffic been sent from this pod?'}`
      : `${counted}; it was expected to stay still.`,
  };
}

export function evaluateCommand(check: CommandCheck, result: { exitCode: number; stdout: string; stderr: string }): CheckResult {
  const output = `${result.stdout}${result.stderr}`.trim();
  const shown = output.length > 300 ? `${output.slice(0, 300)}…` : output;
  if (check.exitCode !== undefined && result.exitCode !== check.exitCode) {
    return { pass: false, message: `\`${check.run}\` in ${check.pod}/${check.container ?? 'its app'} exited with ${result.exitCode}, not ${check.exitCode}: ${shown || '(no output)'}` };
  }
  if (check.expect !== undefined && !new RegExp(check.expect, 'm').test(output)) {
    return { pass: false, message: `\`${check.run}\` in ${check.pod}/${check.container ?? 'its app'} printed ${shown ? `\n${shown}\n` : 'nothing '}which does not match /${check.expect}/.` };
  }
  const line = check.expect ? (output.split('\n').find((l) => new RegExp(check.expect!).test(l)) ?? shown) : `exit ${result.exitCode}`;
  return { pass: true, message: `\`${check.run}\` in ${check.pod}/${check.container ?? 'its app'}: ${line.trim()}` };
}

/** A field of an object (from the API, or a document of a file) against equals / matches. */
export function evaluateField(check: ObjectCheck | FileCheck, obj: unknown, what: string): CheckResult {
  const value = jsonpathText(obj, check.jsonpath);
  if (check.equals !== undefined && value !== check.equals) {
    return { pass: false, message: `${what} ${check.jsonpath} is ${value === '' ? 'empty' : `"${value}"`}, not "${check.equals}".` };
  }
  if (check.matches !== undefined && !new RegExp(check.matches, 'm').test(value)) {
    return { pass: false, message: `${what} ${check.jsonpath} is ${value === '' ? 'empty' : `"${value}"`}, which does not match /${check.matches}/.` };
  }
  return { pass: true, message: `${what} ${check.jsonpath} is "${value}".` };
}

/** Access-log lines start with `[ISO time]`; the newest one since the step began must match. */
export function evaluateAccessLog(check: AccessLogCheck, log: string, since: string): CheckResult {
  const start = Date.parse(since);
  const lines = log
    .split('\n')
    .map((l) => ({ l, t: /^\[([^\]]+)\]/.exec(l)?.[1] }))
    .filter((x): x is { l: string; t: string } => x.t !== undefined && Date.parse(x.t) >= start)
    .map((x) => x.l);
  if (lines.length === 0) return { pass: false, message: `${check.pod}'s istio-proxy logged no access since this step started.` };
  const last = lines.at(-1)!;
  if (new RegExp(check.expect).test(last)) return { pass: true, message: `${check.pod}'s istio-proxy logged: ${last}` };
  return { pass: false, message: `${check.pod}'s newest access-log line does not match /${check.expect}/:\n${last}` };
}
