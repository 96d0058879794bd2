// `BENCH=cli-start`: how long `sidecar-lab` takes to start, from its cached bundle and through tsx's loader (SIDECAR_LAB_NO_BUNDLE=1).
import { spawnSync } from 'node:child_process';
import { cli, root } from './lab-cli';

function median(label: string, env: NodeJS.ProcessEnv, rounds: number): number {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = process.hrtime.bigint();
    // `scenarios` loads the whole core and prints without touching the engine.
    const r = spawnSync(process.execPath, [cli, 'scenarios'], { cwd: root, env, encoding: 'utf8' });
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (r.status !== 0) throw new Error(`sidecar-lab scenarios failed:\n${r.stdout}\n${r.stderr}`);
  }
  times.sort((a, b) => a - b);
  const mid = times[Math.floor(times.length / 2)];
  console.log(`  ${label.padEnd(40)} median ${mid.toFixed(0).padStart(5)} ms   min ${times[0].toFixed(0).padStart(5)} ms   max ${times[times.length - 1].toFixed(0).padStart(5)} ms`);
  return mid;
}

export function benchCliStart(rounds: number): void {
  console.log(`cli-start: \`sidecar-lab scenarios\`, ${rounds} rounds each`);
  // The first run builds the bundle if a source changed since the last one; it is not counted.
  spawnSync(process.execPath, [cli, 'scenarios'], { cwd: root });
  const bundled = median('from the cached bundle', process.env, rounds);
  const tsx = median('through tsx (SIDECAR_LAB_NO_BUNDLE=1)', { ...process.env, SIDECAR_LAB_NO_BUNDLE: '1' }, rounds);
  console.log(`  bundle / tsx: ${(bundled / tsx).toFixed(2)}`);
}
