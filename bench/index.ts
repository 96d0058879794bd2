// `npm run bench`: prints the lab's measured figures.
import { benchUpDown } from './up-down';

const rounds = Number(process.env['BENCH_ROUNDS'] ?? 3);
await benchUpDown(rounds);
