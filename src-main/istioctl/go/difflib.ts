// A port of the unified diff istioctl prints (pmezard/go-difflib, itself Python's difflib): SequenceMatcher with autojunk, grouped opcodes, `@@ -a,b +c,d @@`.

type Tag = 'equal' | 'replace' | 'delete' | 'insert';
type OpCode = [tag: Tag, i1: number, i2: number, j1: number, j2: number];
type Match = [a: number, b: number, size: number];

/** difflib.SplitLines: each line keeps its "\n", and the last one gets one too. */
export function splitLines(s: string): string[] {
  const lines = s.split(/(?<=\n)/);
  if (lines.length === 0) return ['\n'];
  lines[lines.length - 1] += '\n';
  return lines;
}

class SequenceMatcher {
  private readonly b2j = new Map<string, number[]>();
  private matchingBlocks?: Match[];

  constructor(
    private readonly a: string[],
    private readonly b: string[],
  ) {
    b.forEach((line, i) => {
      const list = this.b2j.get(line);
      if (list) list.push(i);
      else this.b2j.set(line, [i]);
    });
    // autojunk: in a long b, lines more common than 1% (plus one) are not anchors.
    const n = b.length;
    if (n >= 200) {
      const ntest = Math.floor(n / 100) + 1;
      for (const [line, idxs] of [...this.b2j]) if (idxs.length > ntest) this.b2j.delete(line);
    }
  }

  private findLongestMatch(alo: number, ahi: number, blo: number, bhi: number): Match {
    let besti = alo;
    let bestj = blo;
    let bestsize = 0;
    let j2len = new Map<number, number>();
    for (let i = alo; i < ahi; i++) {
      const newj2len = new Map<number, number>();
      for (const j of this.b2j.get(this.a[i]) ?? []) {
        if (j < blo) continue;
        if (j >= bhi) break;
        const k = (j2len.get(j - 1) ?? 0) + 1;
        newj2len.set(j, k);
        if (k > bestsize) {
          besti = i - k + 1;
          bestj = j - k + 1;
          bestsize = k;
        }
      }
      j2len = newj2len;
    }
    // Extend with lines that are equal but were not anchors (the popular ones); there is no isjunk.
    while (besti > alo && bestj > blo && this.a[besti - 1] === this.b[bestj - 1]) {
      besti--;
      bestj--;
      bestsize++;
    }
    while (besti + bestsize < ahi && bestj + bestsize < bhi && this.a[besti + bestsize] === this.b[bestj + bestsize]) bestsize++;
    return [besti, bestj, bestsize];
  }

  private getMatchingBlocks(): Match[] {
    if (this.matchingBlocks) return this.matchingBlocks;
    const queue: [number, number, number, number][] = [[0, this.a.length, 0, this.b.length]];
    const found: Match[] = [];
    while (queue.length > 0) {
      const [alo, ahi, blo, bhi] = queue.pop()!;
      const m = this.findLongestMatch(alo, ahi, blo, bhi);
      const [i, j, k] = m;
      if (k > 0) {
        found.push(m);
        if (alo < i && blo < j) queue.push([alo, i, blo, j]);
        if (i + k < ahi && j + k < bhi) queue.push([i + k, ahi, j + k, bhi]);
      }
    }
    found.sort((x, y) => x[0] - y[0] || x[1] - y[1] || x[2] - y[2]);
    // Adjacent equal blocks collapse into one.
    const blocks: Match[] = [];
    let [i1, j1, k1] = [0, 0, 0];
    for (const [i2, j2, k2] of found) {
      if (i1 + k1 === i2 && j1 + k1 === j2) k1 += k2;
      else {
        if (k1 > 0) blocks.push([i1, j1, k1]);
        [i1, j1, k1] = [i2, j2, k2];
      }
    }
    if (k1 > 0) blocks.push([i1, j1, k1]);
    blocks.push([this.a.length, this.b.length, 0]);
    this.matchingBlocks = blocks;
    return blocks;
  }

  getOpCodes(): OpCode[] {
    let i = 0;
    let j = 0;
    const codes: OpCode[] = [];
    for (const [ai, bj, size] of this.getMatchingBlocks()) {
      const tag: Tag | undefined = i < ai && j < bj ? 'replace' : i < ai ? 'delete' : j < bj ? 'insert' : undefined;
      if (tag) codes.push([tag, i, ai, j, bj]);
      i = ai + size;
      j = bj + size;
      if (size > 0) codes.push(['equal', ai, i, bj, j]);
    }
    return codes;
  }

  getGroupedOpCodes(n: number): OpCode[][] {
    let codes = this.getOpCodes();
    if (codes.length === 0) codes = [['equal', 0, 1, 0, 1]];
    const first = codes[0];
    if (first[0] === 'equal') codes[0] = ['equal', Math.max(first[1], first[2] - n), first[2], Math.max(first[3], first[4] - n), first[4]];
    const last = codes[codes.length - 1];
    if (last[0] === 'equal') codes[codes.length - 1] = ['equal', last[1], Math.min(last[2], last[1] + n), last[3], Math.min(last[4], last[3] + n)];
    const groups: OpCode[][] = [];
    let group: OpCode[] = [];
    for (const code of codes) {
      const [tag, , i2, , j2] = code;
      let [, i1, , j1] = code;
      if (tag === 'equal' && i2 - i1 > 2 * n) {
        group.push([tag, i1, Math.min(i2, i1 + n), j1, Math.min(j2, j1 + n)]);
        groups.push(group);
        group = [];
        i1 = Math.max(i1, i2 - n);
        j1 = Math.max(j1, j2 - n);
      }
      group.push([tag, i1, i2, j1, j2]);
    }
    if (group.length > 0 && !(group.length === 1 && group[0][0] === 'equal')) groups.push(group);
    return groups;
  }
}

function formatRange(start: number, stop: number): string {
  let beginning = start + 1;
  const length = stop - start;
  if (length === 1) return `${beginning}`;
  if (length === 0) beginning--;
  return `${beginning},${length}`;
}

/** difflib.GetUnifiedDiffString: '' when the two are equal. */
export function unifiedDiff(opts: { a: string[]; b: string[]; fromFile: string; toFile: string; context: number }): string {
  const { a, b } = opts;
  let out = '';
  for (const group of new SequenceMatcher(a, b).getGroupedOpCodes(opts.context)) {
    if (out === '') out += `--- ${opts.fromFile}\n+++ ${opts.toFile}\n`;
    const first = group[0];
    const last = group[group.length - 1];
    out += `@@ -${formatRange(first[1], last[2])} +${formatRange(first[3], last[4])} @@\n`;
    for (const [tag, i1, i2, j1, j2] of group) {
      if (tag === 'equal') {
        for (const line of a.slice(i1, i2)) out += ` ${line}`;
        continue;
      }
      if (tag === 'replace' || tag === 'delete') for (const line of a.slice(i1, i2)) out += `-${line}`;
      if (tag === 'replace' || tag === 'insert') for (const line of b.slice(j1, j2)) out += `+${line}`;
    }
  }
  return out;
}
