// `sidecar-lab istioctl proxy-config` and the terminals' `istioctl` wrapper against a real interception lab's sleep proxy.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabStatus } from '../../src-main/lab/runtime/status';
import { cliOk, repoRoot, runCli, type CliResult } from './helpers/cli';
import { kubectlWith } from '../helpers/kubectl';

let sleep: string;

beforeAll(async () => {
  await runCli(['down', '--all']);
  await cliOk(['up', 'interception']);
  const status = JSON.parse((await cliOk(['status', '--json'])).stdout) as LabStatus;
  const pod = status.pods.find((p) => p.namespace === 'default' && p.name.startsWith('sleep-'));
  if (!pod) throw new Error('no sleep pod');
  sleep = pod.name;
});

afterAll(async () => {
  await runCli(['down', '--all']);
});

/** The wrapper script the window's terminals put on PATH, run as a shell would. */
function wrapper(args: string[]): Promise<CliResult> {
  return new Promise((done, reject) => {
    const child = spawn(resolve(repoRoot, 'resources/bin/istioctl'), args, { cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}

describe('istioctl proxy-config on the sleep pod', () => {
  it('listener: istioctl columns, with the 15001 and 15006 virtual listeners', async () => {
    const r = await wrapper(['proxy-config', 'listener', `${sleep}.default`]);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ADDRESSES +PORT +MATCH +DESTINATION$/);
    expect(lines.some((l) => /^0\.0\.0\.0 +15001 /.test(l))).toBe(true);
    expect(lines.some((l) => /^0\.0\.0\.0 +15006 /.test(l))).toBe(true);
  });

  it('deploy/NAME finds its pod; --port filters', async () => {
    const r = await cliOk(['istioctl', 'pc', 'listeners', 'deploy/sleep', '--port', '15006', '--verbose=false']);
    expect(r.stdout).toMatch(/^ADDRESSES +PORT +TYPE\n0\.0\.0\.0 +15006 +\S+\n$/);
  });

  it('log --level debug changes the proxy\'s loggers as curl -X POST localhost:15000/logging?level=debug does', async () => {
    const r = await cliOk(['istioctl', 'proxy-config', 'log', sleep, '--level', 'debug']);
    expect(r.stdout.split('\n')[0]).toBe(`${sleep}.default:`);
    expect(r.stdout).toMatch(/active loggers:\n( {2}\S+: debug\n)+/);
    const back = await cliOk(['istioctl', 'proxy-config', 'log', sleep, '--level', 'info']);
    expect(back.stdout).not.toContain(': debug');
  });

  it('endpoint: istioctl\'s table from the proxy\'s /clusters?format=json, httpbin\'s pod HEALTHY', async () => {
    const status = JSON.parse((await cliOk(['status', '--json'])).stdout) as LabStatus;
    const httpbin = status.pods.find((p) => p.namespace === 'default' && p.name.startsWith('httpbin-'));
    const r = await cliOk(['istioctl', 'proxy-config', 'endpoint', sleep, '--cluster', 'outbound|80||httpbin.default.svc.cluster.local']);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ENDPOINT +STATUS +OUTLIER CHECK +CLUSTER$/);
    expect(lines.slice(1)).toEqual([expect.stringMatching(new RegExp(`^${String(httpbin?.ip).replace(/\./g, '\\.')}:80 +HEALTHY +OK +outbound\\|80\\|\\|httpbin\\.default\\.svc\\.cluster\\.local$`))]);
  });

  it('a pod that is not there is named', async () => {
    const r = await runCli(['istioctl', 'pc', 'cluster', 'nosuchpod']);
    expect(r.code).toBe(1);
    // client-go's port-forward dialer reports the API server's refusal of the upgrade.
    expect(r.stderr).toBe('Error: failed to execute command on nosuchpod.default sidecar: failure running port forward process: error upgrading connection: pods "nosuchpod" not found\n');
  });
});

describe('istioctl proxy-status against the lab as control plane', () => {
  it('ps: every sidecar of the lab, SYNCED with what the lab pushed', async () => {
    const r = await cliOk(['istioctl', 'ps']);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME +CLUSTER +CDS +LDS +EDS +RDS +ECDS +ISTIOD +VERSION$/);
    const row = lines.find((l) => l.startsWith(`${sleep}.default `));
    expect(row).toMatch(/^\S+ +Kubernetes +SYNCED +SYNCED +SYNCED +SYNCED +NOT_SENT +sidecar-lab +1\.22\.0$/);
    // A pod without a sidecar is no proxy.
    expect(lines.length).toBeGreaterThan(1);
  });

  it('ps POD: the sidecar holds what the control plane would send now', async () => {
    const r = await cliOk(['istioctl', 'proxy-status', `${sleep}.default`]);
    expect(r.stdout).toMatch(/^Clusters Match\nListeners Match\nRoutes Match \(RDS last loaded at \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d UTC\)\n$/);
  });

  it('ps -o json|yaml: istiod\'s syncz response with a ClientConfig per sidecar; --revision other than default finds no istiod', async () => {
    const r = await cliOk(['istioctl', 'ps', '-o', 'json']);
    const response = JSON.parse(r.stdout) as { typeUrl: string; resources: { node: { id: string; metadata: Record<string, string> }; genericXdsConfigs: { configStatus: string }[] }[] };
    expect(response.typeUrl).toBe('type.googleapis.com/envoy.service.status.v3.ClientConfig');
    const mine = response.resources.find((c) => c.node.id === `${sleep}.default`);
    expect(mine?.node.metadata).toEqual({ CLUSTER_ID: 'Kubernetes', ISTIO_VERSION: '1.22.0' });
    expect(mine?.genericXdsConfigs.map((g) => g.configStatus)).toEqual(['SYNCED', 'SYNCED', 'SYNCED', 'SYNCED', 'NOT_SENT']);
    expect((await cliOk(['istioctl', 'ps', '-o', 'yaml'])).stdout).toMatch(/^controlPlane:\n/);
    expect((await cliOk(['istioctl', 'ps', '--revision', 'default'])).stdout).toMatch(/^NAME +CLUSTER /);
    const canary = await runCli(['istioctl', 'ps', '--revision', 'canary']);
    expect([canary.code, canary.stdout, canary.stderr]).toEqual([1, '', 'Error: unable to find any Istiod instances\n']);
  });

  it('--kubeconfig, KUBECONFIG and --context choose the cluster as istioctl does', async () => {
    const kc = (await cliOk(['kubeconfig'])).stdout.trim().replace(/^export KUBECONFIG=/, '');
    const viaFlag = await cliOk(['istioctl', 'pc', 'cluster', sleep, '--kubeconfig', kc, '--fqdn', 'BlackHoleCluster']);
    expect(viaFlag.stdout).toMatch(/^SERVICE FQDN +PORT +SUBSET +DIRECTION +TYPE +DESTINATION RULE\nBlackHoleCluster +- +- +- +STATIC +\n$/);
    const viaEnv = await runCli(['istioctl', 'pc', 'cluster', sleep, '--fqdn', 'BlackHoleCluster'], { env: { KUBECONFIG: kc } });
    expect(viaEnv.stdout).toBe(viaFlag.stdout);
    const bad = await runCli(['istioctl', 'pc', 'cluster', sleep, '--context', 'nope']);
    expect([bad.code, bad.stderr]).toEqual([1, 'Error: context "nope" does not exist\n']);
  });
});

describe('istioctl x describe and analyze against the lab', () => {
  it('x describe pod: the pod, its Service and port protocol, mTLS, gateways, then the Sidecar and interception', async () => {
    const status = JSON.parse((await cliOk(['status', '--json'])).stdout) as LabStatus;
    const httpbin = status.pods.find((p) => p.namespace === 'default' && p.name.startsWith('httpbin-'));
    if (!httpbin) throw new Error('no httpbin pod');
    const r = await cliOk(['istioctl', 'x', 'describe', 'pod', httpbin.name]);
    expect(r.stdout).toMatch(new RegExp(`^Pod: ${httpbin.name}\\n   Pod Revision: default\\n   Pod Ports: 80 \\(httpbin\\), 15090 \\(istio-proxy\\)\\n--------------------\\n`));
    expect(r.stdout).toContain(
      'Service: httpbin\n   Port: http 80/HTTP targets pod port 80\n--------------------\nEffective PeerAuthentication:\n   Workload mTLS mode: PERMISSIVE\nSkipping Gateway information (no ingress gateway pods)\n--------------------\nSidecar: none (the proxy is given every Service of the mesh)\nTraffic interception (istio-init, REDIRECT):\n',
    );
    expect(r.stdout).toMatch(/ {3}Inbound ports: \*, except 15090,15021\S* -> 15006\n/);
    // sleep has no Service: istioctl's warning, then the rest.
    const s = await cliOk(['istioctl', 'experimental', 'describe', 'pod', sleep]);
    expect(s.stdout).toContain(`Warning: No Kubernetes Services select pod ${sleep} (see https://istio.io/docs/setup/kubernetes/additional-setup/requirements/ )\n--------------------\n`);
  });

  it('x describe service: the Service from its meshed pod\'s sidecar; a Service whose pods have no sidecar says so', async () => {
    const r = await cliOk(['istioctl', 'x', 'describe', 'svc', 'httpbin']);
    expect(r.stdout).toBe('Service: httpbin\n   Port: http 80/HTTP targets pod port 80\nSkipping Gateway information (no ingress gateway pods)\n');
    // The scenario's external httpbin runs without a sidecar.
    const plain = await cliOk(['istioctl', 'x', 'describe', 'service', 'external.external']);
    expect(plain.stdout).toMatch(/^Pod external-\S+\.external: no container "istio-proxy" in pod\nService "external\.external" has no Istio pods\. {2}\(1 pods in service\)\.\nUse `istioctl kube-inject` or redeploy with Istio automatic sidecar injection\.\n$/);
  });

  it('x describe pod of a pod without a sidecar: the warning, then the failed port-forward to 15000', async () => {
    const status = JSON.parse((await cliOk(['status', '--json'])).stdout) as LabStatus;
    const external = status.pods.find((p) => p.namespace === 'external');
    if (!external) throw new Error('no external pod');
    const r = await runCli(['istioctl', 'x', 'describe', 'pod', `${external.name}.external`]);
    expect(r.stdout).toContain(`WARNING: ${external.name}.external is not part of mesh; no Istio sidecar\n`);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Error: failed to execute command on sidecar: failure running port forward process: Get "http:\/\/localhost:15000\/config_dump": EOF\n$/);
  });

  it('analyze (the cluster through the API): the namespace without injection; nothing above Info in default', async () => {
    const r = await runCli(['istioctl', 'analyze', '-A']);
    expect(r.code).toBe(0);
    // Pods of a namespace without injection are not expected to have a proxy: no IST0103 for them.
    expect(r.stdout).toBe(
      "Info [IST0102] (Namespace external) The namespace is not enabled for Istio injection. Run 'kubectl label namespace external istio-injection=enabled' to enable it, or 'kubectl label namespace external istio-injection=disabled' to explicitly mark it as not needing injection.\n",
    );
    // -n keeps the namespace's messages and, as istioctl's filterMessages, those of cluster-scoped objects.
    const scoped = await runCli(['istioctl', 'analyze', '-n', 'default', '--output-threshold', 'Warning']);
    expect([scoped.code, scoped.stdout, scoped.stderr]).toEqual([0, '', '\u2714 No validation issues found when analyzing namespace: default.\n']);
  });
});

describe("the lab's authorization and CRDs, and precheck's control-plane checks through them", () => {
  it("kubectl get crd: Istio's kinds with a real cluster's columns; auth can-i answers for the host's kubeconfig and a pod's token", async () => {
    const kc = (await cliOk(['kubeconfig'])).stdout.trim().replace(/^export KUBECONFIG=/, '');
    const k = kubectlWith(() => ({ ...process.env, KUBECONFIG: kc }));
    const crds = (await k.ok(['get', 'crd'])).replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, 'TIME');
    expect(crds).toBe(
      'NAME                                   CREATED AT\ndestinationrules.networking.istio.io   TIME\nlabs.sidecarlab.dev                    TIME\nserviceentries.networking.istio.io     TIME\nsidecars.networking.istio.io           TIME\nvirtualservices.networking.istio.io    TIME\n',
    );
    expect(await k.run(['auth', 'can-i', 'create', 'pods'])).toMatchObject({ code: 0, stdout: 'yes\n' });
    const token = (await cliOk(['exec', 'sleep', '--', 'cat', '/var/run/secrets/kubernetes.io/serviceaccount/token'])).stdout.trim();
    expect(await k.run(['--token', token, 'auth', 'can-i', 'create', 'pods'])).toMatchObject({ code: 1, stdout: "no - the lab's service-account tokens may read, not change\n" });
    expect(await k.run(['--token', token, 'auth', 'can-i', 'list', 'pods'])).toMatchObject({ code: 0, stdout: 'yes\n' });
  });

  it('x precheck: the host may install, the cluster is recent enough, no Gateway API; the injected pods\' alpha istio.io/rev annotation is Info', async () => {
    const r = await runCli(['istioctl', 'x', 'precheck']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toContain(`Info [IST0136] (Pod ${sleep}.default) Annotation "istio.io/rev" is part of an alpha-phase feature and may be incompletely supported.`);
    for (const line of lines) expect(line).toMatch(/^Info \[IST0136\] \(Pod \S+\) Annotation "[^"]+" is part of an alpha-phase feature and may be incompletely supported\.$/);
    // With a pod's token, every SelfSubjectAccessReview is refused with the lab's reason.
    const kc = (await cliOk(['kubeconfig'])).stdout.trim().replace(/^export KUBECONFIG=/, '');
    const token = (await cliOk(['exec', 'sleep', '--', 'cat', '/var/run/secrets/kubernetes.io/serviceaccount/token'])).stdout.trim();
    const podKc = join(mkdtempSync(join(tmpdir(), 'precheck-')), 'kubeconfig');
    writeFileSync(podKc, readFileSync(kc, 'utf8').replace(/token: \S+/, `token: ${token}`));
    const denied = await runCli(['istioctl', 'x', 'precheck', '--kubeconfig', podKc]);
    expect(denied.code).toBe(1);
    expect(denied.stdout.split('\n').filter((l) => l.startsWith('Error [IST0141] (Cluster)'))).toHaveLength(11);
    expect(denied.stdout).toContain("Error [IST0141] (Cluster) Missing required permission to create resource Namespace (the lab's service-account tokens may read, not change)\n");
  });

  it('analyze --revision: the lab is the default revision; a revision that labels nothing reads the same unlabelled cluster', async () => {
    const all = await runCli(['istioctl', 'analyze', '-A']);
    for (const rev of ['default', 'canary']) {
      const r = await runCli(['istioctl', 'analyze', '-A', '--revision', rev]);
      expect([r.code, r.stdout, r.stderr]).toEqual([all.code, all.stdout, all.stderr]);
    }
  });
});

describe('istioctl x precheck against the lab: the localhost trap', () => {
  it("an app bound to 127.0.0.1 on its Service's target port is IST0143, read from ss in its istio-proxy; apps on every address are not", async () => {
    const kc = (await cliOk(['kubeconfig'])).stdout.trim().replace(/^export KUBECONFIG=/, '');
    const k = kubectlWith(() => ({ ...process.env, KUBECONFIG: kc }));
    // The teaching document's "localhost traffic": an app that listens on 127.0.0.1 only.
    await k.ok(['apply', '-f', '-'], `
apiVersion: v1
kind: Pod
metadata: { name: local-only, namespace: default, labels: { app: local-only } }
spec:
  containers:
  - { name: web, image: sidecar-lab/demo, args: [httpbin, --host, 127.0.0.1, --port, "8080"], ports: [{ name: http, containerPort: 8080 }] }
---
apiVersion: v1
kind: Service
metadata: { name: local-only, namespace: default }
spec:
  selector: { app: local-only }
  ports: [{ name: http, port: 80, targetPort: 8080 }]
`);
    const deadline = Date.now() + 60_000;
    while (!/2\/2\s+Running/.test((await k.run(['get', 'pod', 'local-only'])).stdout) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    const r = await runCli(['istioctl', 'x', 'precheck', '--skip-controlplane']);
    expect(r.stdout).toBe('Error [IST0143] (Pod local-only.default) Port 8080 is exposed in a Service but listens on localhost. It will not be exposed to other pods.\n');
    expect([r.code, r.stderr]).toEqual([
      1,
      'Error: Issues found when checking the cluster. Istio may not be safe to install or upgrade.\nSee https://istio.io/v1.22/docs/reference/config/analysis for more information about causes and resolutions.\n',
    ]);
    // The trap is real: the sidecar delivers inbound traffic to the pod IP, where nothing listens.
    const curl = await runCli(['exec', 'sleep', '--', 'curl', '-s', '-m', '5', '-o', '/dev/null', '-w', '%{http_code}', 'http://local-only.default/status/200']);
    expect(curl.stdout.trim()).not.toBe('200');
    // Another namespace holds no such pod.
    const external = await runCli(['istioctl', 'x', 'precheck', '--skip-controlplane', '-n', 'external']);
    expect([external.code, external.stdout]).toEqual([0, '']);
    await k.ok(['delete', 'pod', 'local-only', '--wait=false']);
  });

  it('the uid 1337 trap: an app container running as the proxy\'s user is IST0144 in analyze and a warning in describe pod', async () => {
    const kc = (await cliOk(['kubeconfig'])).stdout.trim().replace(/^export KUBECONFIG=/, '');
    const k = kubectlWith(() => ({ ...process.env, KUBECONFIG: kc }));
    await k.ok(['apply', '-f', '-'], `
apiVersion: v1
kind: Pod
metadata: { name: as-proxy, namespace: default, labels: { app: as-proxy, version: v1 } }
spec:
  containers:
  - { name: web, image: sidecar-lab/demo, args: [httpbin, --port, "8080"], securityContext: { runAsUser: 1337 } }
`);
    const analyzed = await runCli(['istioctl', 'analyze', '-n', 'default', '--output-threshold', 'Warning']);
    expect(analyzed.code).toBe(0);
    expect(analyzed.stdout).toBe('Warning [IST0144] (Pod as-proxy.default) User ID (UID) 1337 is reserved for the sidecar proxy.\n');
    const deadline = Date.now() + 60_000;
    while (!/2\/2\s+Running/.test((await k.run(['get', 'pod', 'as-proxy'])).stdout) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    const described = await runCli(['istioctl', 'x', 'describe', 'pod', 'as-proxy']);
    expect(described.stdout).toMatch(/^WARNING: User ID \(UID\) 1337 is reserved for the sidecar proxy\.\nPod: as-proxy\n/);
    await k.ok(['delete', 'pod', 'as-proxy', '--wait=false']);
  });
});
