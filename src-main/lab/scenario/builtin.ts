// Built-in scenarios (resources/scenarios/*.yaml) and resolving a command-line scenario argument.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { loadedScenariosDir } from '../bundle/loaded-files';
import { resourcesDir } from '../paths';
import { parseScenarioFiles, parseScenarioText } from './parse';
import type { Scenario } from './types';

/** `resources/scenarios` of the repository, wherever the core runs from (tsx, the CLI's bundle, out/). */
export const BUILTIN_SCENARIO_DIR = join(resourcesDir, 'scenarios');

export interface BuiltinScenario {
  name: string;
  description: string;
  file: string;
}

const isYaml = (f: string) => f.endsWith('.yaml') || f.endsWith('.yml');

/**
 * Every built-in scenario, sorted by name (the Lab document's name). Synchronous: a handful of
 * small local files, read when a command starts.
 */
export function listBuiltinScenarios(dir = BUILTIN_SCENARIO_DIR): BuiltinScenario[] {
  const files = readdirSync(dir).filter(isYaml).sort();
  const out = files.map((f): BuiltinScenario => {
    const file = join(dir, f);
    const scenario = parseScenarioText(readFileSync(file, 'utf8'), file);
    return { name: scenario.name, description: scenario.description ?? '', file };
  });
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

function kindOf(path: string): 'file' | 'directory' | undefined {
  try {
    return statSync(path).isDirectory() ? 'directory' : 'file';
  } catch {
    return undefined;
  }
}

function notFound(arg: string, dir: string): Error {
  const names = listBuiltinScenarios(dir)
    .map((b) => b.name)
    .join(', ');
  const looksLikePath = arg.includes('/') || arg.includes('\\') || isYaml(arg);
  return new Error(
    looksLikePath
      ? `no such file: ${arg} (built-in scenarios: ${names})`
      : `unknown scenario "${arg}": not a file and not a built-in scenario (built-in scenarios: ${names})`,
  );
}

/**
 * A scenario argument → the file to parse: an existing file as given, else the file of the
 * built-in scenario of that name. Anything else is an error that lists the built-in names.
 */
export function resolveScenarioArg(arg: string, dir = BUILTIN_SCENARIO_DIR): string {
  const kind = kindOf(arg);
  if (kind === 'file') return arg;
  if (kind === 'directory')
    throw new Error(`${arg} is a directory; give a file or a built-in scenario name`);
  const hit = listBuiltinScenarios(dir).find(
    (b) => b.name === arg || basename(b.file).replace(/\.ya?ml$/, '') === arg,
  );
  if (hit) return hit.file;
  // Then the scenarios a classroom bundle brought (`bundle load`).
  const loaded = loadedScenariosDir();
  if (dir === BUILTIN_SCENARIO_DIR && kindOf(loaded) === 'directory') {
    const fromBundle = listBuiltinScenarios(loaded).find((b) => b.name === arg || basename(b.file).replace(/\.ya?ml$/, '') === arg);
    if (fromBundle) return fromBundle.file;
  }
  throw notFound(arg, dir);
}

/** Like resolveScenarioArg, but a directory also works: all its *.yaml and *.yml files, sorted. */
export function resolveScenarioFiles(arg: string, dir = BUILTIN_SCENARIO_DIR): string[] {
  if (kindOf(arg) !== 'directory') return [resolveScenarioArg(arg, dir)];
  const files = readdirSync(arg).filter(isYaml).sort();
  if (files.length === 0) throw new Error(`no .yaml files in directory ${arg}`);
  return files.map((f) => join(arg, f));
}

/** Resolves and parses a scenario argument (a file, a directory or a built-in name). */
export async function loadScenario(arg: string): Promise<Scenario> {
  return parseScenarioFiles(resolveScenarioFiles(arg));
}
