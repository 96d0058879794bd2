// The ports of Go's text/tabwriter and sort.Slice against what Go 1.19's own standard library printed (fixtures/istioctl/go/gen.go).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tabulate } from '../../../src-main/istioctl/go/tabwriter';
import { goSortSlice } from '../../../src-main/istioctl/go/sort';

interface TabCase { input: string; minwidth: number; tabwidth: number; padding: number; padchar: string; flags: number; output: string }
interface SortCase { kind: 'int' | 'atoi'; keys: string[]; order: number[] }

const golden = JSON.parse(
  readFileSync(join(__dirname, '../../fixtures/istioctl/go/go-stdlib.json'), 'utf8'),
) as { tabwriter: TabCase[]; sort: SortCase[] };

describe('Go text/tabwriter port', () => {
  it('lays out every generated table as Go does', () => {
    const failures = golden.tabwriter.filter(
      (c) => tabulate(c.input, c.minwidth, c.tabwidth, c.padding, c.padchar, c.flags) !== c.output,
    );
    expect(failures.slice(0, 3)).toEqual([]);
    expect(golden.tabwriter.length).toBeGreaterThan(100);
  });
});

describe('Go sort.Slice port', () => {
  it('orders ties (and non-orders) exactly as pdqsort does', () => {
    const atoi = (s: string): number | undefined => (/^[+-]?\d+$/.test(s) ? Number(s) : undefined);
    const failures = golden.sort.filter((c) => {
      const idx = c.keys.map((_, i) => i);
      goSortSlice(idx, (x, y) => {
        const a = atoi(c.keys[x]);
        const b = atoi(c.keys[y]);
        if (c.kind === 'atoi' && (a === undefined || b === undefined)) return false;
        return (a ?? 0) < (b ?? 0);
      });
      return JSON.stringify(idx) !== JSON.stringify(c.order);
    });
    expect(failures.map((c) => c.keys.length)).toEqual([]);
    expect(golden.sort.some((c) => c.keys.length > 50)).toBe(true);
  });
});
