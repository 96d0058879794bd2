// A customer's pod securityContext and init containers: ids merged as kubelet merges them, uid/gid 1337 out of interception.
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliOk, repoRoot, runCli } from './helpers/cli';
import { labResources } from './helpers/docker';

const fixture = (name: string): string => resolve(repoRoot, 'test/fixtures/integration', name);
const inPod = (container: string, ...cmd: string[]) => cliOk(['exec', 'reporting', '-n', 'reports', '-c', container, '--', ...cmd]);

let up = '';
beforeAll(async () => {
  await runCli(['down', '--all']);
  const r = await cliOk(['up', fixture('customer-reporting.yaml')]);
  up = r.stdout + r.stderr;
}, 600_000);

afterAll(async () => {
  await runCli(['down', '--all']);
  expect(await labResources()).toEqual([]);
});

describe("a pod's securityContext", () => {
  it("gives runAsGroup alone and fsGroup to every container; a container's own ids win", async () => {
    // No runAsUser: the image's user (root in the demo image) with the pod's group.
    expect((await inPod('report', 'id')).stdout).toMatch(/^uid=0\(root\) gid=1337 groups=1337,2000\b/);
    expect((await inPod('exporter', 'id')).stdout).toMatch(/^uid=1000 gid=3000 groups=3000,2000\b/);
  });

  it('takes the traffic of gid 1337 out of interception; the overriding container stays in it', async () => {
    const curl = (container: string, path: string) =>
      inPod(container, 'curl', '-sS', '-m', '5', '-o', '/dev/null', '-w', '%{http_code}', `http://catalog:8080${path}`);
    expect((await curl('report', '/from-report')).stdout).toBe('200');
    expect((await curl('exporter', '/from-exporter')).stdout).toBe('200');
    const proxyLog = (await cliOk(['logs', 'reporting', '-n', 'reports', '-c', 'istio-proxy'])).stdout;
    expect(proxyLog).toMatch(/"GET \/from-exporter HTTP\/1\.1" 200 /);
    expect(proxyLog).not.toContain('/from-report');
  });
});

describe("a pod's init containers", () => {
  it('run to completion before istio-init, with the pod’s ids, and keep their logs', async () => {
    expect(up).toMatch(/reports\/reporting-[a-z0-9-]+: init container wait-catalog completed/);
    const log = (await cliOk(['logs', 'reporting', '-n', 'reports', '-c', 'wait-catalog'])).stdout;
    expect(log).toMatch(/^200$/m);
    expect(log).toMatch(/uid=0\(root\) gid=1337 groups=1337,2000/);
    const status = JSON.parse((await cliOk(['status', '--json'])).stdout) as {
      pods: { name: string; ready: boolean; containers: { name: string; role: string; state: string; exitCode?: number }[] }[];
    };
    const pod = status.pods.find((p) => p.name.startsWith('reporting-'));
    expect(pod?.ready).toBe(true);
    expect(pod?.containers.slice(1, 3).map((c) => [c.name, c.role, c.state, c.exitCode])).toEqual([
      ['wait-catalog', 'init', 'exited', 0],
      ['istio-init', 'istio-init', 'exited', 0],
    ]);
  });
});
