// `npm run bench`: prints the lab's measured figures. BENCH=up-down,sidecar picks some.
import { benchSidecar } from './sidecar';
import { benchUpDown } from './up-down';

const wanted = new Set((process.env['BENCH'] ?? 'up-down,sidecar').split(','));
if (wanted.has('up-down')) await benchUpDown(Number(process.env['BENCH_ROUNDS'] ?? 3));
if (wanted.has('sidecar')) await benchSidecar(Number(process.env['BENCH_DURATION'] ?? 10));
