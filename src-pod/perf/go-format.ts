// Go's `%g` and `%.Ng` number formatting, so the load generator's text reads exactly like fortio's.

/** The decimal digits of |v| (no trailing zeros) and the position of the decimal point, as Go's strconv keeps them. */
function decimalDigits(v: number, precision?: number): { digits: string; dp: number } {
  const text = precision === undefined ? Math.abs(v).toExponential() : Math.abs(v).toExponential(precision - 1);
  const [mantissa, exp] = text.split('e');
  const digits = mantissa.replace('.', '').replace(/0+$/, '') || '0';
  return { digits, dp: Number(exp) + 1 };
}

function withExponent(neg: boolean, digits: string, dp: number): string {
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const exp = dp - 1;
  const abs = Math.abs(exp);
  return `${neg ? '-' : ''}${mantissa}e${exp < 0 ? '-' : '+'}${abs < 10 ? `0${abs}` : abs}`;
}

function fixed(neg: boolean, digits: string, dp: number, decimals: number): string {
  let int: string;
  let frac: string;
  if (dp <= 0) {
    int = '0';
    frac = '0'.repeat(-dp) + digits;
  } else if (dp >= digits.length) {
    int = digits + '0'.repeat(dp - digits.length);
    frac = '';
  } else {
    int = digits.slice(0, dp);
    frac = digits.slice(dp);
  }
  frac = frac.padEnd(decimals, '0').slice(0, decimals);
  return `${neg ? '-' : ''}${int}${decimals > 0 ? `.${frac}` : ''}`;
}

/**
 * `fmt.Sprintf("%g", v)` (precision undefined: the shortest exact digits) or `"%.<precision>g"`.
 * Go switches to an exponent below 1e-4, and at 1e+06 and up for `%g` (1e+<precision> for `%.Ng`).
 */
export function formatG(v: number, precision?: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  const neg = v < 0 || Object.is(v, -0);
  if (v === 0) return neg ? '-0' : '0';
  const { digits, dp } = decimalDigits(v, precision);
  const shortest = precision === undefined;
  let prec = shortest ? digits.length : precision;
  let eprec = prec;
  if (eprec > digits.length && digits.length >= dp) eprec = digits.length;
  if (shortest) eprec = 6;
  const exp = dp - 1;
  if (exp < -4 || exp >= eprec) return withExponent(neg, digits, dp);
  if (prec > dp) prec = digits.length;
  return fixed(neg, digits, dp, Math.max(prec - dp, 0));
}
