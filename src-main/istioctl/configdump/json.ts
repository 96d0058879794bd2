// Small readers for Envoy's proto-JSON: the config dump is untyped JSON, read field by field as Go's getters do (absent reads as zero).
// Keys are given in Envoy's snake_case; protojson's lowerCamelCase spelling (which Go's unmarshaller also accepts) is read too.

export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A child object, or an empty one (Go's GetX() on a nil message). */
export function obj(v: unknown, key: string): Json {
  if (!isObject(v)) return {};
  const c = field(v, key);
  return isObject(c) ? c : {};
}

/** A child object or undefined when absent (Go's `!= nil` checks). */
export function maybeObj(v: unknown, key: string): Json | undefined {
  if (!isObject(v)) return undefined;
  const c = field(v, key);
  return isObject(c) ? c : undefined;
}

export function arr(v: unknown, key: string): unknown[] {
  if (!isObject(v)) return [];
  const c = field(v, key);
  return Array.isArray(c) ? c : [];
}

export function str(v: unknown, key: string): string {
  if (!isObject(v)) return '';
  const c = field(v, key);
  return typeof c === 'string' ? c : '';
}

/** Proto-JSON numbers may be numbers or (64-bit) strings; wrappers (UInt32Value) are bare numbers. */
export function num(v: unknown, key: string): number {
  if (!isObject(v)) return 0;
  const c = field(v, key);
  if (typeof c === 'number') return c;
  if (typeof c === 'string' && /^-?\d+$/.test(c)) return Number(c);
  return 0;
}

export function bool(v: unknown, key: string): boolean {
  return field(v, key) === true;
}

/** Reads either spelling of a proto field: Envoy's admin output uses snake_case, some dumps camelCase. */
export function field(v: unknown, snake: string): unknown {
  if (!isObject(v)) return undefined;
  if (Object.hasOwn(v, snake)) return v[snake];
  const camel = snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  return Object.hasOwn(v, camel) ? v[camel] : undefined;
}
