// The small part of kubectl's JSONPath the checks use: {.a.b}, {.list[0].c}, {.list[*].name} (matches joined by spaces, as kubectl prints them).

type Segment = { field: string } | { index: number } | { all: true };

function segments(path: string): Segment[] {
  const inner = path.slice(2, -1);
  const out: Segment[] = [];
  for (const part of inner.match(/[^.[\]]+|\[[^\]]*\]/g) ?? []) {
    if (part.startsWith('[')) {
      const body = part.slice(1, -1);
      if (body === '*') out.push({ all: true });
      else if (/^\d+$/.test(body)) out.push({ index: Number(body) });
      else throw new Error(`jsonpath ${path}: [${body}] is not supported (an index or *)`);
    } else out.push({ field: part });
  }
  return out;
}

function text(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** kubectl's `-o jsonpath=PATH` text for `PATH` on `value`; '' when nothing matches. */
export function jsonpathText(value: unknown, path: string): string {
  let current: unknown[] = [value];
  for (const seg of segments(path)) {
    const next: unknown[] = [];
    for (const v of current) {
      if ('field' in seg) {
        if (v && typeof v === 'object' && !Array.isArray(v) && seg.field in v) next.push((v as Record<string, unknown>)[seg.field]);
      } else if (Array.isArray(v)) {
        if ('all' in seg) next.push(...(v as unknown[]));
        else if (seg.index < v.length) next.push(v[seg.index]);
      }
    }
    current = next;
  }
  return current.map(text).join(' ');
}
