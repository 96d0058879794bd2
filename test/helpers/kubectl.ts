// Debian's kubectl run against an API server in tests (a lab's, or a KubeApiServer on loopback): one-shot, checked, or long-running until its output matches.
import { spawn, type ChildProcess } from 'node:child_process';

export const KUBECTL = '/usr/bin/kubectl';

export interface KubectlRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Kubectl {
  run(args: string[], input?: string): Promise<KubectlRun>;
  /** Fails the test with kubectl's output when it exits non-zero; returns stdout. */
  ok(args: string[], input?: string): Promise<string>;
  /** A long-running kubectl (watch, follow) whose output is collected until `until` matches it. */
  until(args: string[], until: RegExp, timeoutMs?: number): { child: ChildProcess; seen: Promise<string> };
}

export function kubectlWith(env: () => NodeJS.ProcessEnv): Kubectl {
  const run = (args: string[], input?: string): Promise<KubectlRun> =>
    new Promise((resolve, reject) => {
      const child = spawn(KUBECTL, args, { env: env(), stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      child.stdin.end(input ?? '');
    });
  const ok = async (args: string[], input?: string): Promise<string> => {
    const r = await run(args, input);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  const until = (args: string[], pattern: RegExp, timeoutMs = 30_000): { child: ChildProcess; seen: Promise<string> } => {
    const child = spawn(KUBECTL, args, { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const seen = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`kubectl ${args.join(' ')} never printed ${pattern}:\n${out}`)), timeoutMs);
      const check = (d: Buffer): void => {
        out += d.toString();
        if (pattern.test(out)) {
          clearTimeout(timer);
          resolve(out);
        }
      };
      child.stdout!.on('data', check);
      child.stderr!.on('data', check);
    });
    return { child, seen };
  };
  return { run, ok, until };
}
