// A small typed reader over parsed JSON whose errors name the exact path (`services[1].ports[0].port`).

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** An invalid proxy config; the message starts with the offending field's path. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

function describe(v: Json | undefined): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : JSON.stringify(v);
}

/** `"5s"`, `"100ms"`, `"1.5s"`, `"2m"` or a number of milliseconds; undefined when neither. */
export function parseDurationMs(v: Json): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(v.trim());
  if (!m) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * unit);
}

export class Reader {
  private constructor(
    private readonly value: { [key: string]: Json },
    private readonly path: string,
  ) {}

  static root(value: Json): Reader {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new ConfigError(`config: expected an object, got ${describe(value)}`);
    }
    return new Reader(value, '');
  }

  private at(key: string): string {
    return this.path === '' ? key : `${this.path}.${key}`;
  }

  fail(key: string, message: string): never {
    throw new ConfigError(`${this.at(key)}: ${message}`);
  }

  keys(): string[] {
    return Object.keys(this.value);
  }

  optRaw(key: string): Json | undefined {
    return Object.hasOwn(this.value, key) ? this.value[key] : undefined;
  }

  string(key: string): string {
    const v = this.optString(key);
    if (v === undefined) this.fail(key, 'is required');
    return v;
  }

  optString(key: string): string | undefined {
    const v = this.optRaw(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') this.fail(key, `expected a string, got ${describe(v)}`);
    return v;
  }

  int(key: string, min: number, max: number): number {
    const v = this.optInt(key, min, max);
    if (v === undefined) this.fail(key, 'is required');
    return v;
  }

  optInt(key: string, min: number, max: number): number | undefined {
    const v = this.optRaw(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.fail(key, `expected an integer ${min}-${max}, got ${describe(v)}`);
    }
    return v;
  }

  optEnum<T extends string>(key: string, allowed: readonly T[]): T | undefined {
    const v = this.optString(key);
    if (v === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(v)) {
      this.fail(key, `expected one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
    }
    return v as T;
  }

  object(key: string): Reader {
    const r = this.optObject(key);
    if (!r) this.fail(key, 'is required');
    return r;
  }

  optObject(key: string): Reader | undefined {
    const v = this.optRaw(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) this.fail(key, `expected an object, got ${describe(v)}`);
    return new Reader(v, this.at(key));
  }

  array(key: string): Reader[] {
    const v = this.optArray(key);
    if (!v) this.fail(key, 'is required');
    return v;
  }

  optArray(key: string): Reader[] | undefined {
    const v = this.optRaw(key);
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) this.fail(key, `expected an array, got ${describe(v)}`);
    return v.map((item, i) => {
      const path = `${this.at(key)}[${i}]`;
      if (item === null || typeof item !== 'object' || Array.isArray(item)) {
        throw new ConfigError(`${path}: expected an object, got ${describe(item)}`);
      }
      return new Reader(item, path);
    });
  }

  stringArray(key: string): string[] {
    const v = this.optStringArray(key);
    if (!v) this.fail(key, 'is required');
    return v;
  }

  optStringArray(key: string): string[] | undefined {
    const v = this.optRaw(key);
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) {
      this.fail(key, `expected an array of strings, got ${describe(v)}`);
    }
    return v as string[];
  }
}
