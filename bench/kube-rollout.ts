// `BENCH=kube-rollout`: from `kubectl apply` of a 2-pod Deployment to both pods Ready (warm images), with and without Istio's injection, next to plain `docker run` of the same app containers.
import { spawnSync } from 'node:child_process';
import { lab, root } from './lab-cli';

const deployment = (namespace: string): string => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: bench, namespace: ${namespace} }
spec:
  replicas: 2
  selector: { matchLabels: { app: bench } }
  template:
    metadata: { labels: { app: bench } }
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: web
        image: sidecar-lab/demo
        args: [httpbin, --port, "8080"]
        ports: [{ name: http, containerPort: 8080 }]
`;

function run(argv: string[], env: NodeJS.ProcessEnv, input?: string): string {
  const r = spawnSync(argv[0], argv.slice(1), { cwd: root, env, encoding: 'utf8', input });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function report(label: string, times: number[]): void {
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.log(`  ${label.padEnd(52)} median ${median.toFixed(0).padStart(6)} ms   min ${times[0].toFixed(0).padStart(6)} ms   max ${times[times.length - 1].toFixed(0).padStart(6)} ms`);
}

/** Applies the Deployment, waits for `rollout status`, deletes it and waits until its pods are gone; the first part is timed. */
function rollout(namespace: string, env: NodeJS.ProcessEnv): number {
  const started = process.hrtime.bigint();
  run(['kubectl', 'apply', '-f', '-'], env, deployment(namespace));
  run(['kubectl', 'rollout', 'status', 'deployment/bench', '-n', namespace, '--timeout=180s'], env);
  const took = Number(process.hrtime.bigint() - started) / 1e6;
  run(['kubectl', 'delete', 'deployment', 'bench', '-n', namespace, '--wait=true'], env);
  for (let i = 0; i < 120; i++) {
    if (!run(['kubectl', 'get', 'pods', '-n', namespace, '-l', 'app=bench', '-o', 'name'], env).trim()) break;
    spawnSync('sleep', ['0.25']);
  }
  return took;
}

/** Two app containers with `docker run`, until both listen: what the lab adds on top of this is the pod. */
function dockerRun(image: string): number {
  const names = ['sidecar-lab-bench-1', 'sidecar-lab-bench-2'];
  const started = process.hrtime.bigint();
  for (const name of names) run(['docker', 'run', '-d', '--rm', '--name', name, '--network', 'none', image, 'httpbin', '--port', '8080'], process.env);
  for (const name of names) {
    for (let i = 0; i < 200; i++) {
      const r = spawnSync('docker', ['exec', name, 'sh', '-c', 'ss -Hltn | grep -q :8080'], { encoding: 'utf8' });
      if (r.status === 0) break;
    }
  }
  const took = Number(process.hrtime.bigint() - started) / 1e6;
  spawnSync('docker', ['rm', '-f', ...names]);
  return took;
}

export async function benchKubeRollout(rounds: number): Promise<void> {
  console.log(`kube-rollout: ${rounds} rounds each, interception scenario, images warm`);
  lab(['down', '--all']);
  lab(['up', 'interception']);
  try {
    const kubeconfig = lab(['kubeconfig']).trim().replace(/^export KUBECONFIG=/, '');
    const env = { ...process.env, KUBECONFIG: kubeconfig };
    const image = run(['docker', 'image', 'inspect', '--format', '{{.Id}}', 'sidecar-lab/demo:latest'], env).trim();
    const injected: number[] = [];
    const plain: number[] = [];
    const docker: number[] = [];
    for (let i = 0; i < rounds; i++) {
      injected.push(rollout('default', env));
      plain.push(rollout('external', env));
      docker.push(dockerRun(image));
    }
    report('kubectl apply → 2 pods Ready, injected (default)', injected);
    report('kubectl apply → 2 pods Ready, no sidecar (external)', plain);
    report('docker run of the 2 app containers → listening', docker);
  } finally {
    lab(['down']);
  }
}
