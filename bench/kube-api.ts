// `BENCH=kube-api`: the lab's Kubernetes API through the real kubectl, next to the lab's own commands doing the same.
import { spawnSync } from 'node:child_process';
import { cli, lab, root } from './lab-cli';

function timed(label: string, argv: string[], env: NodeJS.ProcessEnv, rounds: number): void {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = process.hrtime.bigint();
    const r = spawnSync(argv[0], argv.slice(1), { cwd: root, env, encoding: 'utf8' });
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (r.status !== 0) throw new Error(`${argv.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.log(`  ${label.padEnd(46)} median ${median.toFixed(0).padStart(5)} ms   min ${times[0].toFixed(0).padStart(5)} ms   max ${times[times.length - 1].toFixed(0).padStart(5)} ms`);
}

export async function benchKubeApi(rounds: number): Promise<void> {
  console.log(`kube-api: ${rounds} rounds each, interception scenario`);
  lab(['down', '--all']);
  lab(['up', 'interception']);
  try {
    const kubeconfig = lab(['kubeconfig']).trim().replace(/^export KUBECONFIG=/, '');
    const env = { ...process.env, KUBECONFIG: kubeconfig };
    const pod = spawnSync('kubectl', ['get', 'pod', '-l', 'app=sleep', '-o', 'jsonpath={.items[0].metadata.name}'], { env, encoding: 'utf8' }).stdout;
    const node = process.execPath;
    timed('kubectl get pods', ['kubectl', 'get', 'pods'], env, rounds);
    timed('sidecar-lab status', [node, cli, 'status'], env, rounds);
    timed(`kubectl exec ${pod} -c sleep -- true`, ['kubectl', 'exec', pod, '-c', 'sleep', '--', 'true'], env, rounds);
    timed(`sidecar-lab exec ${pod} -c sleep -- true`, [node, cli, 'exec', pod, '-c', 'sleep', '--', 'true'], env, rounds);
  } finally {
    lab(['down']);
  }
}
