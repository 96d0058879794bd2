// Kubernetes resource quantities in their canonical form ("2000m" → "2", "1024Mi" → "1Gi"), as a Pod stores them.

const BINARY = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const DECIMAL: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const DECIMAL_BY_EXP = new Map(Object.entries(DECIMAL).map(([s, e]) => [e, s]));

/**
 * The form resource.Quantity prints after parsing: binary suffixes stay binary and decimal ones
 * decimal, with the largest suffix that keeps the number whole. Anything this does not parse is
 * returned as written (Kubernetes would refuse it; the injector only copies it).
 */
export function canonicalQuantity(value: unknown): string {
  const text = typeof value === 'number' ? String(value) : String(value ?? '');
  const m = /^([+-]?)(\d+)(?:\.(\d+))?(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/.exec(text.trim());
  if (!m) return text;
  const [, sign, whole, frac = '', suffix = ''] = m;
  const neg = sign === '-' ? '-' : '';
  if (suffix.endsWith('i')) {
    // Bytes exactly, when the fraction allows it; otherwise leave the text alone.
    const scale = 1024n ** BigInt(BINARY.indexOf(suffix));
    const denom = 10n ** BigInt(frac.length);
    const num = BigInt(whole + frac) * scale;
    if (num % denom !== 0n) return text;
    let bytes = num / denom;
    if (bytes === 0n) return '0';
    let i = 0;
    while (i < BINARY.length - 1 && bytes % 1024n === 0n) {
      bytes /= 1024n;
      i++;
    }
    return `${neg}${bytes}${BINARY[i]}`;
  }
  // Decimal: count in units of 10^-9 (nano), then pick the largest exponent (a multiple of 3).
  const exp = DECIMAL[suffix] - frac.length + 9;
  let nanos = BigInt(whole + frac) * 10n ** BigInt(Math.max(exp, 0));
  if (exp < 0) {
    const d = 10n ** BigInt(-exp);
    // Finer than a nanounit: Kubernetes rounds up.
    nanos = (nanos + d - 1n) / d;
  }
  if (nanos === 0n) return '0';
  let e = -9;
  while (e < 18 && nanos % 1000n === 0n) {
    nanos /= 1000n;
    e += 3;
  }
  return `${neg}${nanos}${DECIMAL_BY_EXP.get(e) ?? ''}`;
}
