// Small readers shared by the kinds' Table printers: typed access into plain JSON objects.
import { isRecord, type KubeObject } from '../objects';

export const rec = (v: unknown): Record<string, unknown> => (isRecord(v) ? v : {});
export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const str = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : fallback);
export const num = (v: unknown, fallback = 0): number => (typeof v === 'number' ? v : fallback);

export const spec = (obj: KubeObject): Record<string, unknown> => rec(obj.spec);
export const status = (obj: KubeObject): Record<string, unknown> => rec(obj.status);

/** Container names and images of a pod template, comma-separated (layoutContainerCells). */
export function containerCells(podSpec: unknown): [string, string] {
  const containers = arr(rec(podSpec).containers).map(rec);
  return [containers.map((c) => str(c.name)).join(','), containers.map((c) => str(c.image)).join(',')];
}

/** A list shown as kubectl does: the first `max` items, then ` + N more...`. */
export function firstOf(items: string[], max: number, total = items.length, empty = '<none>'): string {
  if (total === 0) return empty;
  const shown = items.slice(0, max).join(',');
  return total > max ? `${shown} + ${total - max} more...` : shown;
}
