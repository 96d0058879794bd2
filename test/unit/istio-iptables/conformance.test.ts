// Istio's own istio-iptables golden files: the dry run for each case's config must match byte for byte.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  configFromJson,
  configToArgs,
  dryRun,
  parseArgs,
  withIdentityDefaults,
} from '../../../src-pod/istio-iptables';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const dir = path.resolve(repoRoot, '../shared/conformance/istio-iptables');
const casesFile = path.join(dir, 'cases.json');

interface Case {
  name: string;
  config: Record<string, unknown>;
}

const cases: Case[] = existsSync(casesFile)
  ? (JSON.parse(readFileSync(casesFile, 'utf8')) as Case[])
  : [];
const golden = (name: string) => readFileSync(path.join(dir, 'golden', `${name}.golden`), 'utf8');

describe('istio-iptables conformance with Istio golden files', () => {
  it('finds the conformance data beside the repository', () => {
    expect(
      existsSync(casesFile),
      `missing ${casesFile}: the conformance data must be at ../shared/conformance/istio-iptables`,
    ).toBe(true);
    expect(cases.length).toBeGreaterThan(0);
  });

  for (const c of cases) {
    it(`${c.name}: dry run equals golden/${c.name}.golden byte for byte`, () => {
      const { config } = configFromJson(c.config, c.name);
      expect(dryRun(config)).toBe(golden(c.name));
    });

    it(`${c.name}: the same config given as flags and environment gives the same dry run`, () => {
      const { config } = configFromJson(c.config, c.name);
      const { args, env } = configToArgs(withIdentityDefaults(config));
      const parsed = parseArgs(args, env);
      expect(dryRun(parsed.config)).toBe(golden(c.name));
    });
  }
});
