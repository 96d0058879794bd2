// The Lab document's spec.symptoms: the commands that show a reproduced problem, kept by export and printed by up.
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../../src-main/cli/args';
import { mergeSymptoms } from '../../../src-main/lab/dump/export';
import { parseScenarioText, ScenarioError } from '../../../src-main/lab/scenario';

const lab = (spec: string): string => `apiVersion: sidecarlab.dev/v1
kind: Lab
metadata: {name: repro}
spec:
${spec}`;

describe('spec.symptoms', () => {
  it('is read as a list of commands', () => {
    const s = parseScenarioText(lab(`  symptoms:\n    - kubectl exec deploy/sleep -- curl -sS http://mysql:3306\n    - "  sidecar-lab logs web -c istio-proxy  "\n`), 'repro.yaml');
    expect(s.lab?.symptoms).toEqual(['kubectl exec deploy/sleep -- curl -sS http://mysql:3306', 'sidecar-lab logs web -c istio-proxy']);
  });

  it('refuses what is not one command per line, naming file, line and field', () => {
    for (const [spec, want] of [
      ['  symptoms: curl http://x\n', /repro\.yaml:5:\d+: .*symptoms must be a list/],
      ['  symptoms:\n    - 42\n', /repro\.yaml:6:\d+: .*symptoms\[0\] must be a string/],
      ['  symptoms:\n    - ""\n', /repro\.yaml:6:\d+: .*symptoms\[0\] must be one command on one line/],
    ] as const) {
      let err: unknown;
      try {
        parseScenarioText(lab(spec), 'repro.yaml');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ScenarioError);
      expect(String((err as Error).message)).toMatch(want);
    }
  });
});

describe('export --symptom', () => {
  it('adds the given commands after those the Lab document has, once each', () => {
    expect(mergeSymptoms(['a', 'b '], ['b', 'c', 'c'])).toEqual(['a', 'b', 'c']);
    expect(mergeSymptoms(undefined, [])).toEqual([]);
  });

  it('keeps every value of a repeatable flag, in order', () => {
    const args = parseArgs(['f.yaml', '--symptom', 'one', '--symptom=two'], [{ name: 'symptom', takesValue: true, repeatable: true }], 'export');
    expect(args.lists.get('symptom')).toEqual(['one', 'two']);
    expect(args.positionals).toEqual(['f.yaml']);
  });
});
