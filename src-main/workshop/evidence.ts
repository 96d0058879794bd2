// Gathers a check's live evidence from the running lab (flows, counters, command output, API objects, access logs, files) and judges it.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { parseAllDocuments } from 'yaml';
import type { Flow } from '../contract/types';
import { apiPaths } from '../lab/api/host-state';
import { containerLogs, execIn } from '../lab/runtime/docker-ops';
import { findExecTarget } from '../lab/runtime/exec';
import { labStatus, type LabStatus } from '../lab/runtime/status';
import { evaluateAccessLog, evaluateCommand, evaluateCounter, evaluateField, evaluateFlow, type CheckResult } from './evaluate';
import type { Check } from './types';

const run = promisify(execFile);

/** What the step began from: its time, and each sidecar pod's `iptables-save -c` (key `ns/pod`). */
export interface StepBaseline {
  startedAt: string;
  counters: Record<string, string>;
}

export interface EvidenceContext {
  docker: Docker;
  lab: string;
  /** Where a `file` check's relative paths start (the learner's working directory). */
  workDir: string;
  /** The flows captured in the lab so far (the newest state of each). */
  flows: () => Promise<Flow[]>;
}

async function tapSave(docker: Docker, dockerName: string): Promise<string> {
  const r = await execIn(docker, docker.getContainer(dockerName), ['iptables-save', '-c']);
  if (r.exitCode !== 0) throw new Error(`iptables-save -c in ${dockerName}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Snapshots what later checks compare with: now, and every sidecar pod's rule counters. */
export async function takeBaseline(docker: Docker, lab: string): Promise<StepBaseline> {
  const status = await labStatus(docker, lab);
  const counters: Record<string, string> = {};
  for (const pod of status.pods.filter((p) => p.sidecar)) {
    const tap = pod.containers.find((c) => c.name === 'tap' && c.state === 'running');
    if (!tap) continue;
    try {
      counters[`${pod.namespace}/${pod.name}`] = await tapSave(docker, tap.dockerName);
    } catch {
      // A pod going away meanwhile (a rollout's old pod) has no counters a check could ask for.
    }
  }
  return { startedAt: new Date().toISOString(), counters };
}

function podKey(status: LabStatus, pod: string, namespace: string | undefined): { key: string; tap?: string; proxy?: string } {
  const target = findExecTarget(status, pod, namespace, undefined, { running: false });
  const find = (name: string): string | undefined => target.pod.containers.find((c) => c.name === name)?.dockerName;
  return { key: `${target.pod.namespace}/${target.pod.name}`, tap: find('tap'), proxy: find('istio-proxy') };
}

async function kubectlGet(lab: string, resource: string, which: { name?: string; selector?: string }, namespace: string | undefined): Promise<unknown> {
  const args = ['get', resource, ...(which.name ? [which.name] : ['-l', which.selector ?? '']), '-o', 'json', ...(namespace ? ['-n', namespace] : [])];
  try {
    const { stdout } = await run('kubectl', args, { env: { ...process.env, KUBECONFIG: apiPaths(lab).kubeconfig }, timeout: 20_000 });
    return JSON.parse(stdout) as unknown;
  } catch (err) {
    const e = err as { code?: string; stderr?: string; message: string };
    if (e.code === 'ENOENT') throw new Error('the object check runs kubectl, which is not on PATH', { cause: err });
    throw new Error(`kubectl ${args.join(' ')}: ${(e.stderr ?? e.message).trim()}`, { cause: err });
  }
}

function fileDocument(path: string, kind: string | undefined): unknown {
  const docs = parseAllDocuments(readFileSync(path, 'utf8')).map((d) => d.toJS() as unknown).filter((d) => d && typeof d === 'object');
  return kind ? docs.find((d) => (d as { kind?: unknown }).kind === kind) : docs[0];
}

/** One check, on the evidence it needs; an error reading the evidence is a failed check that says so. */
export async function evaluateCheck(check: Check, baseline: StepBaseline, ctx: EvidenceContext): Promise<CheckResult> {
  try {
    const status = await labStatus(ctx.docker, ctx.lab);
    switch (check.kind) {
      case 'flow':
        return evaluateFlow(check, await ctx.flows(), status.services, baseline.startedAt);
      case 'counter': {
        const pod = podKey(status, check.pod, check.namespace);
        if (!pod.tap) return { pass: false, message: `${check.pod} has no sidecar (no tap with its rules)` };
        const before = baseline.counters[pod.key];
        if (before === undefined) return { pass: false, message: `no counters of ${pod.key} were kept when this step started: reset the step` };
        return evaluateCounter(check, before, await tapSave(ctx.docker, pod.tap));
      }
      case 'command': {
        const target = findExecTarget(status, check.pod, check.namespace, check.container);
        const result = await execIn(ctx.docker, ctx.docker.getContainer(target.dockerName), ['sh', '-c', check.run], check.user ? { user: check.user } : {});
        return evaluateCommand(check, result);
      }
      case 'object':
        return evaluateField(check, await kubectlGet(ctx.lab, check.resource, check, check.namespace), check.name ? `${check.resource}/${check.name}` : `${check.resource} -l ${check.selector}`);
      case 'file': {
        const path = resolve(ctx.workDir, check.path);
        if (!existsSync(path)) return { pass: false, message: `There is no ${check.path} in ${ctx.workDir} yet.` };
        const doc = fileDocument(path, check.objectKind);
        if (!doc) return { pass: false, message: `${check.path} holds no ${check.objectKind ?? 'YAML'} document.` };
        return evaluateField(check, doc, check.path);
      }
      case 'accessLog': {
        const pod = podKey(status, check.pod, check.namespace);
        if (!pod.proxy) return { pass: false, message: `${check.pod} has no istio-proxy` };
        return evaluateAccessLog(check, await containerLogs(ctx.docker.getContainer(pod.proxy)), baseline.startedAt);
      }
    }
  } catch (err) {
    return { pass: false, message: `could not read the evidence: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** Every check of a step; passes when all do. */
export async function evaluateStep(checks: Check[], baseline: StepBaseline, ctx: EvidenceContext): Promise<{ pass: boolean; results: CheckResult[] }> {
  const results: CheckResult[] = [];
  for (const c of checks) results.push(await evaluateCheck(c, baseline, ctx));
  return { pass: results.every((r) => r.pass), results };
}

