// Built-in scenarios and resolving a scenario argument.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BUILTIN_SCENARIO_DIR,
  listBuiltinScenarios,
  loadScenario,
  resolveScenarioArg,
  resolveScenarioFiles,
  type DeploymentObject,
} from '../../../src-main/lab/scenario';

describe('built-in scenarios', () => {
  it('are found in resources/scenarios of the repository', async () => {
    expect(BUILTIN_SCENARIO_DIR).toBe(join(import.meta.dirname, '../../../resources/scenarios'));
    const list = listBuiltinScenarios();
    const interception = list.find((b) => b.name === 'interception');
    expect(interception?.file).toBe(join(BUILTIN_SCENARIO_DIR, 'interception.yaml'));
    expect(interception?.description).toMatch(/^A sleep client and an httpbin server/);
  });

  it('interception: what it declares', async () => {
    const s = await loadScenario('interception');
    expect(s.name).toBe('interception');
    expect(s.ignored).toEqual([]);
    expect(
      s.workloads.map((w) => [w.kind, `${w.namespace}/${w.name}`, w.injection.inject]),
    ).toEqual([
      ['Deployment', 'default/sleep', true],
      ['Deployment', 'default/httpbin', true],
      ['Deployment', 'external/external', false],
      ['Pod', 'kube-system/kube-apiserver', false],
    ]);
    const sleep = s.workloads[0] as DeploymentObject;
    expect(sleep.template.spec.containers[0]).toMatchObject({
      name: 'sleep',
      image: 'sidecar-lab/demo',
      command: ['sleep', 'infinity'],
    });
    expect(
      s.services.map((x) => [`${x.namespace}/${x.name}`, x.clusterIP, x.ports[0].targetPort]),
    ).toEqual([
      ['default/httpbin', undefined, 'http'],
      ['external/external', undefined, 'http'],
      ['default/kubernetes', '10.96.0.1', 6443],
    ]);
  });
});

describe('resolveScenarioArg', () => {
  it('takes a file path or a built-in name', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'scn-'));
    const file = join(dir, 'b.yaml');
    await writeFile(file, '');
    expect(resolveScenarioArg(file)).toBe(file);
    expect(resolveScenarioArg('interception')).toBe(
      join(BUILTIN_SCENARIO_DIR, 'interception.yaml'),
    );
    expect(() => resolveScenarioArg(dir)).toThrow(/is a directory/);
  });

  it('lists the built-in names for an unknown one', () => {
    expect(() => resolveScenarioArg('intercept')).toThrow(
      /^unknown scenario "intercept": not a file and not a built-in scenario \(built-in scenarios: .*interception.*\)$/,
    );
    expect(() => resolveScenarioArg('./missing.yaml')).toThrow(
      /^no such file: \.\/missing\.yaml \(built-in scenarios: /,
    );
  });
});

describe('resolveScenarioFiles', () => {
  it('also takes a directory: its YAML files, sorted', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'scn-'));
    await writeFile(join(dir, 'b.yaml'), '');
    await writeFile(join(dir, 'a.yml'), '');
    await writeFile(join(dir, 'notes.txt'), '');
    expect(resolveScenarioFiles(dir)).toEqual([join(dir, 'a.yml'), join(dir, 'b.yaml')]);
    expect(resolveScenarioFiles('interception')).toEqual([
      join(BUILTIN_SCENARIO_DIR, 'interception.yaml'),
    ]);
  });
});
