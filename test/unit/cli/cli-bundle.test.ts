// The command's cached bundle: reused while its sources are unchanged, rebuilt when one changes or goes.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs of bin/, without type declarations
import { loadCli } from '../../../bin/cli-bundle.mjs';

const projectModules = resolve(import.meta.dirname, '../../../node_modules');
const roots: string[] = [];

/** A project with src-main/cli/main.ts importing ./value.ts, and the real node_modules beside it. */
function project(value: string): string {
  const root = mkdtempSync(join(tmpdir(), 'cli-bundle-'));
  roots.push(root);
  mkdirSync(join(root, 'src-main', 'cli'), { recursive: true });
  mkdirSync(join(root, 'node_modules'));
  // The cache goes under node_modules/.cache; the bundle's own imports are node: built-ins here.
  symlinkSync(join(projectModules, 'esbuild'), join(root, 'node_modules', 'esbuild'));
  writeFileSync(join(root, 'src-main', 'cli', 'main.ts'), "import { value } from './value';\nexport const main = (): string => value;\n");
  setValue(root, value);
  return root;
}

function setValue(root: string, value: string): void {
  const file = join(root, 'src-main', 'cli', 'value.ts');
  writeFileSync(file, `export const value: string = ${JSON.stringify(value)};\n`);
  // A later mtime than any earlier write, even within the file system's time resolution.
  const later = new Date(Date.now() + roots.length * 1000 + Math.random() * 1000);
  utimesSync(file, later, later);
}

const manifest = (root: string) =>
  JSON.parse(readFileSync(join(root, 'node_modules', '.cache', 'sidecar-lab-cli', 'manifest.json'), 'utf8')) as {
    bundle: string;
    inputs: Record<string, string>;
  };

afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

describe('the CLI bundle cache', () => {
  it('builds once and reuses the bundle while no source changed', async () => {
    const root = project('first');
    expect((await loadCli(root)).main()).toBe('first');
    const built = manifest(root);
    expect(Object.keys(built.inputs).sort()).toEqual(['src-main/cli/main.ts', 'src-main/cli/value.ts']);
    expect((await loadCli(root)).main()).toBe('first');
    expect(manifest(root).bundle).toBe(built.bundle);
  });

  it('rebuilds when a source it was built from changed', async () => {
    const root = project('first');
    expect((await loadCli(root)).main()).toBe('first');
    const before = manifest(root).bundle;
    setValue(root, 'second');
    expect((await loadCli(root)).main()).toBe('second');
    expect(manifest(root).bundle).not.toBe(before);
  });
});
