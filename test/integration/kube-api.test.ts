// Debian's real kubectl against the lab's Kubernetes API: the document's commands as written, kubectl debug, tables, watch, logs, errors, and the API surviving its process.
import { readFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { request } from 'node:https';
import * as pty from 'node-pty';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cliOk, runCli } from './helpers/cli';
import { KUBECTL, kubectlWith } from '../helpers/kubectl';
import { processAlive } from '../../src-main/lab/api/host-state';
import { docker } from './helpers/docker';
import { LABELS } from '../../src-main/lab/docker/engine';
import { isOpen, openWebSocket } from './kube-streams-ws-client';

let env: NodeJS.ProcessEnv;
let sleepPod = '';

const k = kubectlWith(() => env);
const kubectl = k.run;
const kubectlOk = k.ok;
const kubectlUntil = k.until;

beforeAll(async () => {
  await runCli(['down', '--all']);
  await cliOk(['up', 'interception']);
  const printed = (await cliOk(['kubeconfig'])).stdout.trim();
  expect(printed).toMatch(/^export KUBECONFIG=\S+\/labs\/interception\/kubeconfig$/);
  env = { ...process.env, KUBECONFIG: printed.replace('export KUBECONFIG=', '') };
}, 600_000);

afterAll(async () => {
  await runCli(['down', '--all']);
});

describe("the document's kubectl commands, as written", () => {
  it('finds the pod by label and shows the injected containers', async () => {
    sleepPod = await kubectlOk(['get', 'pod', '-l', 'app=sleep', '-o', 'jsonpath={.items[0].metadata.name}']);
    expect(sleepPod).toMatch(/^sleep-[a-z0-9]+-[a-z0-9]{5}$/);
    expect(await kubectlOk(['get', 'pod', sleepPod, '-o', 'jsonpath={.spec.containers[*].name}'])).toBe('sleep istio-proxy');
    expect(await kubectlOk(['get', 'pod', sleepPod, '-o', 'jsonpath={.spec.initContainers[*].name}'])).toBe('istio-init');
    const status = JSON.parse(await kubectlOk(['get', 'pod', sleepPod, '-o', "jsonpath={.metadata.annotations['sidecar\\.istio\\.io/status']}"])) as { containers: string[] };
    expect(status.containers).toEqual(['istio-proxy']);
  });

  it('labels a namespace for injection', async () => {
    expect(await kubectlOk(['label', 'namespace', 'external', 'istio-injection=enabled'])).toContain('namespace/external labeled');
    expect(await kubectlOk(['get', 'namespace', 'external', '-o', 'jsonpath={.metadata.labels.istio-injection}'])).toBe('enabled');
  });

  it('reads the mesh config from the istio ConfigMap', async () => {
    const mesh = await kubectlOk(['get', 'configmap', 'istio', '-n', 'istio-system', '-o', 'jsonpath={.data.mesh}']);
    const lines = mesh.split('\n').filter((l) => l.includes('outboundTrafficPolicy'));
    expect(lines.length).toBe(1);
  });

  it("shows the proxy's log", async () => {
    const log = await kubectlOk(['logs', sleepPod, '-c', 'istio-proxy']);
    expect(log).toContain('Envoy proxy is ready');
    const last = await kubectlOk(['logs', sleepPod, '-c', 'istio-proxy', '--tail', '1', '--timestamps']);
    expect(last.trim().split('\n')).toHaveLength(1);
    expect(last).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z /);
  });
});

/** kubectl under a terminal, as a user types `kubectl exec -it`. */
function kubectlInPty(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const term = pty.spawn(KUBECTL, args, { name: 'xterm', cols: 120, rows: 30, env: env as Record<string, string> });
    let output = '';
    term.onData((d) => (output += d));
    term.onExit((e) => resolve({ code: e.exitCode, output }));
  });
}

describe('exec and port-forward', () => {
  it("iptables in istio-proxy is refused as on Istio (uid 1337, no NET_ADMIN); the tap has the rules", async () => {
    const proxy = await kubectlInPty(['exec', '-it', sleepPod, '-c', 'istio-proxy', '--', 'iptables', '-t', 'nat', '-S']);
    expect(proxy.code).not.toBe(0);
    expect(proxy.output).toMatch(/Permission denied|you must be root/);
    const tap = await kubectlOk(['exec', sleepPod, '-c', 'tap', '--', 'iptables', '-t', 'nat', '-S']);
    expect(tap).toContain('-A ISTIO_OUTPUT');
    expect(tap).toContain('-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001');
  });

  it("the document's POST to the proxy's admin port, under a terminal", async () => {
    const r = await kubectlInPty(['exec', '-it', sleepPod, '-c', 'istio-proxy', '--', 'curl', '-s', '-X', 'POST', 'localhost:15000/logging?level=debug']);
    expect(r.code).toBe(0);
    expect(r.output).toMatch(/debug/);
  });

  it("the tap's kubectl reaches the API in-cluster, as the window's terminals use it", async () => {
    const r = await cliOk(['exec', sleepPod, '-c', 'tap', '--', 'env', 'KUBECONFIG=/var/run/sidecar-lab/kubeconfig', 'kubectl', 'get', 'pods', '-o', 'name']);
    expect(r.stdout).toContain(`pod/${sleepPod}`);
  });

  it('passes stdin through and returns the exit code', async () => {
    const cat = await kubectl(['exec', '-i', sleepPod, '-c', 'sleep', '--', 'cat'], 'through the pod\n');
    expect(cat.stdout).toBe('through the pod\n');
    const failed = await kubectl(['exec', sleepPod, '-c', 'sleep', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(failed.code).toBe(3);
    expect(failed.stdout).toBe('out\n');
    expect(failed.stderr).toContain('err');
  });

  it("port-forward reaches Envoy's admin port on the pod's loopback", async () => {
    const forward = kubectlUntil(['port-forward', `pod/${sleepPod}`, ':15000'], /Forwarding from 127\.0\.0\.1:(\d+) -> 15000/);
    try {
      const port = Number(/127\.0\.0\.1:(\d+) -> 15000/.exec(await forward.seen)![1]);
      const body = await new Promise<string>((resolve, reject) => {
        httpGet(`http://127.0.0.1:${port}/ready`, (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve(`${res.statusCode} ${text}`));
        }).on('error', reject);
      });
      expect(body).toMatch(/^200 LIVE/);
    } finally {
      forward.child.kill();
    }
  });
});

/** `kubectl debug -it` under a terminal: the lines are typed once kubectl has attached to the debug container. */
function debugInPty(args: string[], lines: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const term = pty.spawn(KUBECTL, args, { name: 'xterm', cols: 120, rows: 30, env: env as Record<string, string> });
    let output = '';
    let typed = false;
    const timer = setTimeout(() => {
      term.kill();
      reject(new Error(`kubectl ${args.join(' ')} did not finish:\n${output}`));
    }, 90_000);
    term.onData((d) => {
      output += d;
      if (typed || !output.includes("If you don't see a command prompt")) return;
      typed = true;
      setTimeout(() => term.write(`${lines.join('\r')}\r`), 300);
    });
    term.onExit((e) => {
      clearTimeout(timer);
      resolve({ code: e.exitCode, output });
    });
  });
}

interface ContainerStatus {
  name: string;
  image: string;
  ready: boolean;
  state: { running?: unknown; terminated?: { exitCode: number }; waiting?: unknown };
}

/** The pod's status of one ephemeral container, once `done` says it is as wanted. */
async function ephemeralStatus(name: string, done: (s: ContainerStatus) => boolean): Promise<ContainerStatus> {
  for (let i = 0; ; i++) {
    const pod = JSON.parse(await kubectlOk(['get', 'pod', sleepPod, '-o', 'json'])) as { status: { ephemeralContainerStatuses?: ContainerStatus[] } };
    const s = pod.status.ephemeralContainerStatuses?.find((x) => x.name === name);
    if (s && done(s)) return s;
    if (i > 60) throw new Error(`ephemeral container ${name}: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const eventsOf = async (container: string): Promise<{ reason: string; message: string }[]> =>
  (JSON.parse(await kubectlOk(['get', 'events', '-o', 'json'])) as { items: { reason: string; message: string; involvedObject: { name: string; fieldPath?: string } }[] }).items.filter(
    (e) => e.involvedObject.name === sleepPod && e.involvedObject.fieldPath === `spec.ephemeralContainers{${container}}`,
  );

describe('kubectl debug: an ephemeral container in the pod', () => {
  it('kubectl 1.20 `debug -it --target=istio-proxy`: a shell in the pod\'s network and the proxy\'s processes, no NET_ADMIN, an absent image stood in for', async () => {
    const r = await debugInPty(
      ['debug', '-it', sleepPod, '--image=nicolaka/netshoot', '--target=istio-proxy'],
      [
        'echo "uid=$(id -u)"',
        // The bracket keeps grep's own command line from matching: only the proxy's process can.
        "grep -l -- '--interception-mod[e]' /proc/[0-9]*/cmdline >/dev/null && echo TARGET-$((40+2))",
        'curl -s localhost:15000/ready; echo',
        'iptables -t nat -S >/dev/null 2>&1 || echo NOADMIN-$((1+2))',
        'exit',
      ],
    );
    expect(r.output).toMatch(/Defaulting debug container name to debugger-[a-z0-9]{5}/);
    expect(r.code).toBe(0);
    expect(r.output).toMatch(/uid=0\r?\n/);
    expect(r.output).toContain('TARGET-42');
    expect(r.output).toMatch(/LIVE/);
    expect(r.output).toContain('NOADMIN-3');
    const name = /debug container name to (debugger-[a-z0-9]{5})/.exec(r.output)![1];
    const status = await ephemeralStatus(name, (s) => Boolean(s.state.terminated));
    expect(status).toMatchObject({ image: 'nicolaka/netshoot', ready: false, state: { terminated: { exitCode: 0 } } });
    const events = await eventsOf(name);
    expect(events.map((e) => e.reason)).toEqual(expect.arrayContaining(['Pulled', 'Created', 'Started']));
    expect(events.find((e) => e.reason === 'Pulled')!.message).toMatch(/"nicolaka\/netshoot" is not on this machine .*the lab's debug image .* stands in/);
  }, 120_000);

  it("kubectl 1.22+'s patch of the Pod, with --profile=netadmin's capabilities, and attach over WebSocket v5", async () => {
    const config = parse(readFileSync(env.KUBECONFIG!, 'utf8')) as { clusters: { cluster: { server: string; 'certificate-authority-data': string } }[]; users: { user: { token: string } }[] };
    const { server, 'certificate-authority-data': caData } = config.clusters[0].cluster;
    const tls = { ca: Buffer.from(caData, 'base64'), token: config.users[0].user.token };
    const ns = await kubectlOk(['get', 'pod', sleepPod, '-o', 'jsonpath={.metadata.namespace}']);
    // An image the engine has is used as is: the lab's runtime image, the one the pod's sandbox runs.
    const [sandbox] = await docker.listContainers({ filters: { label: [`${LABELS.lab}=interception`, `${LABELS.pod}=${sleepPod}`, `${LABELS.role}=pause`] } });
    const image = sandbox.Image;
    const patch = {
      spec: { ephemeralContainers: [{ name: 'netadmin', image, command: ['sh'], stdin: true, targetContainerName: 'istio-proxy', securityContext: { capabilities: { add: ['NET_ADMIN', 'NET_RAW'] } } }] },
    };
    const patched = await new Promise<{ code: number; body: string }>((resolve, reject) => {
      const req = request(`${server}/api/v1/namespaces/${ns}/pods/${sleepPod}/ephemeralcontainers`, {
        method: 'PATCH',
        ca: tls.ca,
        headers: { Authorization: `Bearer ${tls.token}`, 'Content-Type': 'application/strategic-merge-patch+json', 'User-Agent': 'kubectl/v1.30.0 (linux/amd64) kubernetes/7c48c2b' },
      }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end(JSON.stringify(patch));
    });
    expect(patched.code, patched.body).toBe(200);
    expect(JSON.parse(patched.body)).toMatchObject({ kind: 'Pod' });
    await ephemeralStatus('netadmin', (s) => Boolean(s.state.running));
    const ws = await openWebSocket(`${server}/api/v1/namespaces/${ns}/pods/${sleepPod}/attach?container=netadmin&stdin=true&stdout=true&stderr=true`, ['v5.channel.k8s.io'], tls);
    if (!isOpen(ws)) throw new Error(`attach refused: ${ws.status} ${ws.body}`);
    expect(ws.protocol).toBe('v5.channel.k8s.io');
    ws.send(Buffer.concat([Buffer.of(0), Buffer.from('iptables -t nat -S; exit\n')]));
    const channel = (n: number): string => Buffer.concat(ws.messages.filter((m) => m.data[0] === n).map((m) => m.data.subarray(1))).toString();
    await ws.waitFor(() => channel(3).length > 0);
    expect(channel(1)).toContain('-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001');
    expect(channel(3)).toBe('{"metadata":{},"status":"Success"}');
    await ws.closed;
    expect(await ephemeralStatus('netadmin', (s) => Boolean(s.state.terminated))).toMatchObject({ image, state: { terminated: { exitCode: 0 } } });
    expect((await eventsOf('netadmin')).find((e) => e.reason === 'Pulled')!.message).toBe(`Container image "${image}" already present on machine`);
  }, 120_000);
});

describe('tables as a cluster prints them', () => {
  it('get pods, -o wide, svc, deploy, cm, serviceentries', async () => {
    const pods = await kubectlOk(['get', 'pods']);
    expect(pods.split('\n')[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    expect(pods).toMatch(new RegExp(`${sleepPod}\\s+2/2\\s+Running\\s+0\\s+\\d+s`));
    const wide = await kubectlOk(['get', 'pods', '-A', '-o', 'wide']);
    expect(wide).toMatch(/kube-apiserver\s+1\/1\s+Running\s+0\s+\S+\s+10\.244\.0\.\d+\s+node/);
    expect(await kubectlOk(['get', 'svc'])).toMatch(/httpbin\s+ClusterIP\s+10\.96\.0\.100\s+<none>\s+80\/TCP/);
    expect(await kubectlOk(['get', 'deploy'])).toMatch(/sleep\s+1\/1\s+1\s+1/);
    expect(await kubectlOk(['get', 'cm', '-n', 'istio-system'])).toMatch(/^istio\s+1\s+\d+s$/m);
    const entries = await kubectl(['get', 'serviceentries', '-A']);
    expect(entries.code).toBe(0);
    expect(entries.stdout + entries.stderr).toMatch(/No resources found|NAME\s+HOSTS/);
  });

  it('reports events of the pods it started', async () => {
    const events = await kubectlOk(['get', 'events', '--field-selector', `involvedObject.name=${sleepPod}`, '-o', 'jsonpath={.items[*].reason}']);
    expect(events.split(' ')).toEqual(expect.arrayContaining(['Scheduled', 'Started']));
  });
});

describe('watch and follow', () => {
  it('get -w sees a change', async () => {
    const watch = kubectlUntil(['get', 'pod', sleepPod, '-w', '-o', 'jsonpath={.metadata.labels.tier}{"\\n"}'], /^backend$/m);
    await new Promise((r) => setTimeout(r, 1000));
    await kubectlOk(['label', 'pod', sleepPod, 'tier=backend']);
    await watch.seen.finally(() => watch.child.kill());
  });

  it('logs -f follows the access log as traffic flows', async () => {
    const follow = kubectlUntil(['logs', '-f', sleepPod, '-c', 'istio-proxy', '--tail', '0'], /"GET \/headers HTTP\/1\.1" 200/);
    await new Promise((r) => setTimeout(r, 1000));
    await cliOk(['exec', sleepPod, '-c', 'sleep', '--', 'curl', '-s', '-o', '/dev/null', 'http://httpbin.default/headers']);
    await follow.seen.finally(() => follow.child.kill());
  });
});

describe('`sidecar-lab status` reads the objects kubectl reads', () => {
  interface Status {
    source: string;
    pods: { namespace: string; name: string; ip: string; ready: boolean; status: string; restarts: number; labels: Record<string, string> }[];
    services: { namespace: string; name: string; clusterIP: string | null; endpoints: { ip: string }[] }[];
  }

  it('the same pods, addresses, STATUS and labels (a label set with kubectl included), and the same Services', async () => {
    const status = JSON.parse((await cliOk(['status', '--json'])).stdout) as Status;
    expect(status.source).toBe('api');
    const rows = (await kubectlOk(['get', 'pods', '-A', '-o', 'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name} {.status.podIP}{"\\n"}{end}']))
      .trim()
      .split('\n');
    expect(status.pods.map((p) => `${p.namespace}/${p.name} ${p.ip}`).sort()).toEqual(rows.sort());
    const sleep = status.pods.find((p) => p.name === sleepPod);
    // `tier` was set by `kubectl label` above: only the API knows it, the containers' labels do not.
    expect(sleep).toMatchObject({ status: 'Running', restarts: 0, ready: true, labels: { app: 'sleep', tier: 'backend' } });
    const svcs = (await kubectlOk(['get', 'svc', '-A', '-o', 'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name} {.spec.clusterIP}{"\\n"}{end}']))
      .trim()
      .split('\n');
    expect(status.services.map((s) => `${s.namespace}/${s.name} ${s.clusterIP ?? 'None'}`).sort()).toEqual(svcs.sort());
    const endpoints = await kubectlOk(['get', 'endpoints', 'httpbin', '-o', 'jsonpath={.subsets[*].addresses[*].ip}']);
    expect(status.services.find((s) => s.name === 'httpbin')?.endpoints.map((e) => e.ip).join(' ')).toBe(endpoints);

    const printed = (await cliOk(['status'])).stdout;
    expect(printed).toMatch(/^NAMESPACE\s+POD\s+READY\s+STATUS\s+RESTARTS\s+IP/m);
    expect(printed).toMatch(new RegExp(`${sleepPod}\\s+yes\\s+Running\\s+0\\s+10\\.`));
  });
});

describe('errors are Kubernetes Status objects', () => {
  it('404 for a pod that does not exist', async () => {
    const r = await kubectl(['get', 'pod', 'nope']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Error from server (NotFound): pods "nope" not found');
  });

  it('422 names the field at fault', async () => {
    const r = await kubectl(['patch', 'namespace', 'external', '--type', 'merge', '-p', '{"metadata":{"labels":{"team":"-bad-"}}}']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Namespace "external" is invalid: metadata.labels: Invalid value: "-bad-"');
  });

  it('422 for a pod update Kubernetes forbids, with a diff naming the field', async () => {
    const forbidden = await kubectl(['patch', 'pod', sleepPod, '--type', 'json', '-p', '[{"op":"add","path":"/spec/containers/0/args","value":["x"]}]']);
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toContain('Forbidden: pod updates may not change fields other than `spec.containers[*].image`');
    expect(forbidden.stderr).toContain('+ spec.containers[0].args: ["x"]');
  });

  it('a resource the lab does not model is named', async () => {
    const r = await kubectl(['get', 'statefulsets']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('statefulsets');
  });

  it('401 without the token', async () => {
    const config = parse(readFileSync(env.KUBECONFIG!, 'utf8')) as { clusters: { cluster: { server: string; 'certificate-authority-data': string } }[] };
    const { server, 'certificate-authority-data': ca } = config.clusters[0].cluster;
    const { code, body } = await new Promise<{ code: number; body: string }>((resolve, reject) => {
      const req = request(`${server}/api/v1/pods`, { ca: Buffer.from(ca, 'base64') }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(code).toBe(401);
    expect(JSON.parse(body)).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
  });
});

describe('the API outlives its process', () => {
  it('`up` on the running lab resumes it with the objects kept', async () => {
    const endpoint = JSON.parse(readFileSync(env.KUBECONFIG!.replace(/kubeconfig$/, 'api.json'), 'utf8')) as { pid: number };
    process.kill(endpoint.pid, 'SIGKILL');
    const refused = await kubectl(['get', 'pods', '--request-timeout=5s']);
    expect(refused.code).toBe(1);
    const up = await cliOk(['up', 'interception']);
    expect(up.stderr).toContain('lab interception is already up');
    expect(up.stderr).toMatch(/Kubernetes API resumed at https:\/\/127\.0\.0\.1:\d+/);
    // The label set before the process died is still there; the pods' status is read again.
    expect(await kubectlOk(['get', 'namespace', 'external', '-o', 'jsonpath={.metadata.labels.istio-injection}'])).toBe('enabled');
    expect(await kubectlOk(['get', 'pods'])).toMatch(new RegExp(`${sleepPod}\\s+2/2\\s+Running`));
  });

  it('`down` stops it', async () => {
    const endpoint = JSON.parse(readFileSync(env.KUBECONFIG!.replace(/kubeconfig$/, 'api.json'), 'utf8')) as { pid: number };
    await cliOk(['down']);
    // Stopped (a zombie until something reaps it counts as stopped).
    expect(processAlive(endpoint.pid)).toBe(false);
  });
});
