// `npm run bench`: prints the lab's measured figures. BENCH=up-down,sidecar,flow-log,flows,page,live-flows,sidecar-local,kube-api,kube-rollout,cli-start picks some.
import { benchCliStart } from './cli-start';
import { benchFlowLog } from './flow-log';
import { benchFlows } from './flows';
import { benchKubeApi } from './kube-api';
import { benchKubeRollout } from './kube-rollout';
import { benchLiveFlows } from './live-flows';
import { benchPage } from './page';
import { benchSidecar } from './sidecar';
import { benchSidecarLocal } from './sidecar-local';
import { benchUpDown } from './up-down';

const wanted = new Set((process.env['BENCH'] ?? 'up-down,sidecar,flow-log,flows,page,live-flows,sidecar-local,kube-api,kube-rollout,cli-start').split(','));
if (wanted.has('up-down')) await benchUpDown(Number(process.env['BENCH_ROUNDS'] ?? 3));
if (wanted.has('sidecar')) await benchSidecar(Number(process.env['BENCH_DURATION'] ?? 10));
if (wanted.has('flow-log')) benchFlowLog(Number(process.env['BENCH_REQUESTS'] ?? 100_000));
if (wanted.has('flows')) await benchFlows();
if (wanted.has('page')) await benchPage(Number(process.env['BENCH_CONNECTIONS'] ?? 200), Number(process.env['BENCH_RATE'] ?? 10));
if (wanted.has('live-flows')) await benchLiveFlows(Number(process.env['BENCH_CONNECTIONS'] ?? 200));
if (wanted.has('sidecar-local')) await benchSidecarLocal(Number(process.env['BENCH_DURATION'] ?? 10), 0, ['direct', 'outbound', 'both']);
if (wanted.has('kube-api')) await benchKubeApi(Number(process.env['BENCH_ROUNDS'] ?? 10));
if (wanted.has('kube-rollout')) await benchKubeRollout(Number(process.env['BENCH_ROUNDS'] ?? 3));
if (wanted.has('cli-start')) benchCliStart(Number(process.env['BENCH_ROUNDS'] ?? 5));
