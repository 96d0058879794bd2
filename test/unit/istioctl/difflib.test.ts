// The unified diff proxy-status prints, against Python's difflib (which go-difflib ports) on inputs where autojunk and grouping matter.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { splitLines, unifiedDiff } from '../../../src-main/istioctl/go/difflib';

const FIX = join(__dirname, '../../fixtures/istioctl/difflib');
const lines = (name: string): string[] => readFileSync(join(FIX, name), 'utf8').split(/(?<=\n)/);

describe('unifiedDiff', () => {
  it("prints Python difflib's unified_diff byte for byte (context 7, popular lines as junk)", () => {
    const text = unifiedDiff({ a: lines('a.txt'), b: lines('b.txt'), fromFile: 'Istiod Clusters', toFile: 'Envoy Clusters', context: 7 });
    expect(text).toBe(readFileSync(join(FIX, 'expected.diff'), 'utf8'));
  });

  it('equal inputs give nothing; a one-line change gives the single-line range form', () => {
    expect(unifiedDiff({ a: ['x\n'], b: ['x\n'], fromFile: 'A', toFile: 'B', context: 7 })).toBe('');
    expect(unifiedDiff({ a: ['x\n'], b: ['y\n'], fromFile: 'A', toFile: 'B', context: 7 })).toBe('--- A\n+++ B\n@@ -1 +1 @@\n-x\n+y\n');
    expect(unifiedDiff({ a: [], b: ['y\n'], fromFile: 'A', toFile: 'B', context: 3 })).toBe('--- A\n+++ B\n@@ -0,0 +1 @@\n+y\n');
  });

  it('splitLines ends every line, the last one too', () => {
    expect(splitLines('{\n  "a": 1\n}')).toEqual(['{\n', '  "a": 1\n', '}\n']);
    expect(splitLines('no dump')).toEqual(['no dump\n']);
  });
});
