// `npm run bench`: prints the lab's measured figures. BENCH=up-down,sidecar,flows picks some.
import { benchFlows } from './flows';
import { benchSidecar } from './sidecar';
import { benchUpDown } from './up-down';

const wanted = new Set((process.env['BENCH'] ?? 'up-down,sidecar,flows').split(','));
if (wanted.has('up-down')) await benchUpDown(Number(process.env['BENCH_ROUNDS'] ?? 3));
if (wanted.has('sidecar')) await benchSidecar(Number(process.env['BENCH_DURATION'] ?? 10));
if (wanted.has('flows')) await benchFlows();
