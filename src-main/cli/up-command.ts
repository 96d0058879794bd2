// `up` and `scenarios` on the command line: what the scenario says, printed before the lab starts.
import { listBuiltinScenarios } from '../lab/scenario/builtin';
import type { PreparedLab } from '../lab/session/prepare';
import { table, type CliIO } from './output';

export function printScenarioNotes(prepared: PreparedLab, io: CliIO): void {
  const { plan } = prepared;
  io.err(`up: scenario ${plan.lab} from ${prepared.file}: ${plan.pods.length} pods, ${plan.services.filter((s) => s.origin === 'scenario').length} services`);
  for (const item of plan.ignored) io.err(`up: ignored: ${item.file}:${item.line}:${item.col}: ${item.message}`);
}

export function scenariosCommand(io: CliIO): number {
  const list = listBuiltinScenarios();
  io.out(table(['SCENARIO', 'DESCRIPTION'], list.map((s) => [s.name, s.description ?? ''])));
  return 0;
}
