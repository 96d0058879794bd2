// `up` and `scenarios` on the command line: what the scenario says, printed before the lab starts.
import { listBuiltinScenarios } from '../lab/scenario/builtin';
import type { PreparedLab } from '../lab/session/prepare';
import { table, type CliIO } from './output';

export function printScenarioNotes(prepared: PreparedLab, io: CliIO): void {
  const { plan } = prepared;
  io.err(`up: scenario ${plan.lab} from ${prepared.file}: ${plan.pods.length} pods, ${plan.services.filter((s) => s.origin === 'scenario').length} services`);
  for (const item of plan.ignored) io.err(`up: ignored: ${item.file}:${item.line}:${item.col}: ${item.message}`);
}

/** The Lab document's `spec.symptoms` (checked when the scenario was read): what another engineer runs to see the problem. */
export function symptomsOf(prepared: PreparedLab): string[] {
  const lab = prepared.documents.find((d) => d.kind === 'Lab');
  const spec = lab?.value.spec;
  const list = typeof spec === 'object' && spec !== null ? (spec as { symptoms?: unknown }).symptoms : undefined;
  return Array.isArray(list) ? list.filter((s): s is string => typeof s === 'string').map((s) => s.trim()) : [];
}

/** Printed last by `up`, so the commands that show the problem are what the engineer sees when the lab is ready. */
export function printSymptoms(symptoms: string[], io: CliIO): void {
  if (symptoms.length === 0) return;
  io.out('');
  io.out('The commands that show the symptom (the Lab document\'s spec.symptoms):');
  for (const s of symptoms) io.out(`  ${s}`);
}

export function scenariosCommand(io: CliIO): number {
  const list = listBuiltinScenarios();
  io.out(table(['SCENARIO', 'DESCRIPTION'], list.map((s) => [s.name, s.description ?? ''])));
  return 0;
}
