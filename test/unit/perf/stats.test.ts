// The load generator's statistics against fortio's own test data (fortio/fortio stats/stats_test.go).
import { describe, expect, it } from 'vitest';
import { formatG } from '../../../src-pod/perf/go-format';
import { BUCKET_EDGES, calcPercentile, formatHistogram, Histogram, parsePercentiles, withPercentiles } from '../../../src-pod/perf/stats';

function histogram(offset: number, divider: number, values: [number, number?][]): Histogram {
  const h = new Histogram(offset, divider);
  for (const [v, n] of values) h.record(v, n ?? 1);
  return h;
}

describe('fortio histogram buckets', () => {
  it('puts a value on an edge in the bucket below it, and just above it in the next (TestBucketLookUp)', () => {
    const cases: [number, number, number][] = [
      [11, 10, 11],
      [171, 160, 180],
      [180, 160, 180],
      [801, 800, 900],
      [900, 800, 900],
      [999.99, 900, 1000],
      [1000, 900, 1000],
      [1000.01, 1000, 2000],
      [1999.99, 1000, 2000],
      [2000, 1000, 2000],
      [2001.1, 2000, 3000],
      [75000, 50000, 75000],
      [75000.01, 75000, 100000],
      [100000, 75000, 100000],
      [100000.01, 100000, 1e6],
      [523477, 100000, 1e6],
    ];
    for (const [input, start, end] of cases) {
      const data = histogram(0, 1, [[1], [1e6], [input]]).export();
      expect({ input, start: data.Data[1].Start, end: data.Data[1].End }).toEqual({ input, start, end });
    }
  });

  it('splits every edge exactly: v-0.01 and v below, v+0.01 above (TestAllBucketBoundaries)', () => {
    BUCKET_EDGES.forEach((v, i) => {
      const data = histogram(0, 1, [[-1], [v - 0.01, 50], [v, 700], [v + 0.01, 1003], [1e6]]).export();
      const first = i === 0 ? 1 : 0;
      const last = i === BUCKET_EDGES.length - 1 ? 1 : 0;
      expect(data.Data[1 - first]).toMatchObject({ End: v, Count: 750 + first });
      expect(data.Data[2 - first]).toMatchObject({ Start: v, Count: 1003 + last });
    });
  });

  it('exports min to max with cumulative percentages (TestHistogramExport1)', () => {
    const data = withPercentiles(histogram(0, 10, [[-137.4], [251], [501], [751], [1001.67]]).export(), [50, 99, 99.9]);
    expect(data).toMatchObject({ Count: 5, Min: -137.4, Max: 1001.67, Avg: 473.454 });
    expect(data.Sum).toBeCloseTo(2367.27, 10);
    expect(data.StdDev).toBeCloseTo(394.8242896074151, 9);
    expect(data.Data).toEqual([
      { Start: -137.4, End: 0, Percent: 20, Count: 1 },
      { Start: 250, End: 300, Percent: 40, Count: 1 },
      { Start: 500, End: 600, Percent: 60, Count: 1 },
      { Start: 700, End: 800, Percent: 80, Count: 1 },
      { Start: 1000, End: 1001.67, Percent: 100, Count: 1 },
    ]);
    expect(data.Percentiles?.map((p) => p.Percentile)).toEqual([50, 99, 99.9]);
    expect(data.Percentiles?.[0].Value).toBe(550);
    expect(data.Percentiles?.[1].Value).toBeCloseTo(1001.5865, 9);
    expect(data.Percentiles?.[2].Value).toBeCloseTo(1001.66165, 9);
  });

  it('prints the last bucket up to max and a negative offset bucket (TestHistogramLastBucket)', () => {
    const h = histogram(-1, 1, [[-1], [0], [1], [3], [10], [99999], [100000], [200000]]);
    const text = formatHistogram('testLastBucket', withPercentiles(h.export(), [90]));
    // fortio leaves the standard deviation unchecked here ("could be brittle"); so do we.
    expect(text.split('\n').slice(1).join('\n')).toBe(`# range, mid point, percentile, count
>= -1 <= -1 , -1 , 12.50, 1
> -1 <= 0 , -0.5 , 25.00, 1
> 0 <= 1 , 0.5 , 37.50, 1
> 2 <= 3 , 2.5 , 50.00, 1
> 9 <= 10 , 9.5 , 62.50, 1
> 74999 <= 99999 , 87499 , 75.00, 1
> 99999 <= 200000 , 150000 , 100.00, 2
# target 90% 160000
`);
    expect(text.split('\n')[0]).toMatch(/^testLastBucket : count 8 avg 50001\.5 \+\/- \S+ min -1 max 200000 sum 400012$/);
  });

  it('prints fortio text for negative numbers (TestHistogramNegativeNumbers)', () => {
    const h = histogram(-10, 1, [[-10], [10]]);
    expect(formatHistogram('testHistogramWithNegativeNumbers', withPercentiles(h.export(), [1, 50, 75]))).toBe(
      `testHistogramWithNegativeNumbers : count 2 avg 0 +/- 10 min -10 max 10 sum 0
# range, mid point, percentile, count
>= -10 <= -10 , -10 , 50.00, 1
> 8 <= 10 , 9 , 100.00, 1
# target 1% -10
# target 50% -10
# target 75% 9
`,
    );
  });

  it('merges histograms of one scale (TestTransferHistogram)', () => {
    const h1 = histogram(0, 10, [[10], [20]]);
    h1.mergeHistogram(histogram(0, 10, [[80], [90]]));
    expect(formatHistogram('merged h2 -> h1', withPercentiles(h1.export(), [75]))).toBe(
      `merged h2 -> h1 : count 4 avg 50 +/- 35.36 min 10 max 90 sum 200
# range, mid point, percentile, count
>= 10 <= 10 , 10 , 25.00, 1
> 10 <= 20 , 15 , 50.00, 1
> 70 <= 80 , 75 , 75.00, 1
> 80 <= 90 , 85 , 100.00, 1
# target 75% 80
`,
    );
  });
});

describe('fortio percentiles', () => {
  it('interpolates inside the bucket that crosses the percentile (TestHistogram)', () => {
    const h = histogram(0, 10, [[1], [251], [501], [751], [1001]]);
    expect(h.avg()).toBe(501);
    const e = h.export();
    const expected: [number, number][] = [
      [-1, 1],
      [0, 1],
      [0.1, 1],
      [1, 1],
      [20, 1],
      [20.01, 250.025],
      [39.99, 299.975],
      [40, 300],
      [50, 550],
      [75, 775],
      [90, 1000.5],
      [99, 1000.95],
      [99.9, 1000.995],
      [100, 1001],
      [101, 1001],
    ];
    for (const [p, value] of expected) expect({ p, value: calcPercentile(e, p) }).toEqual({ p, value: expect.closeTo(value, 9) as number });
  });

  it('gives 10, 15, 20… for the points 10, 20, 30 (TestPercentiles1)', () => {
    const e = histogram(0, 10, [[10], [20], [30]]).export();
    const expected: [number, number][] = [
      [0, 10],
      [20, 10],
      [33.33, 10],
      [100 / 3, 10],
      [33.34, 10.002],
      [50, 15],
      [66.66, 19.998],
      [(100 * 2) / 3, 20],
      [66.67, 20.001],
      [75, 22.5],
      [99, 29.7],
      [99.9, 29.97],
      [100, 30],
    ];
    const round = (v: number): number => Math.floor(v * 100000 + 0.5) / 100000;
    for (const [p, value] of expected) expect({ p, value: round(calcPercentile(e, p)) }).toEqual({ p, value });
  });

  it('counts repeated values in their bucket (TestHistogramData)', () => {
    const h = histogram(0, 1, [[-1], [0, 3], [1], [2], [3], [4], [5, 2]]);
    const e = withPercentiles(h.export(), [0, 1, 10, 25, 40, 50, 60, 70, 80, 90, 99, 100]);
    expect(e.Count).toBe(10);
    expect(e.Avg).toBeCloseTo(1.9, 12);
    expect(e.Percentiles?.map((p) => Math.round(p.Value * 1e9) / 1e9)).toEqual([-1, -1, -1, -0.5, 0, 1, 2, 3, 4, 4.5, 4.95, 5]);
  });

  it('parses -p as fortio does, naming what is wrong', () => {
    expect(parsePercentiles('99.9')).toEqual([99.9]);
    expect(parsePercentiles('  50, 90,  99 ')).toEqual([50, 90, 99]);
    expect(() => parsePercentiles('')).toThrow("can't be empty");
    expect(() => parsePercentiles('23,a,46')).toThrow('"a" is not a number');
    expect(() => parsePercentiles('100')).toThrow('must be > 0 and < 100');
  });
});

describe("Go's %g", () => {
  it('formats as fmt.Sprintf does', () => {
    expect(formatG(23.1)).toBe('23.1');
    expect(formatG(1e6)).toBe('1e+06');
    expect(formatG(200000)).toBe('200000');
    expect(formatG(0.000652, 6)).toBe('0.000652');
    expect(formatG(0.0000652, 6)).toBe('6.52e-05');
    expect(formatG(159999.6, 6)).toBe('160000');
    expect(formatG(1234567, 6)).toBe('1.23457e+06');
    expect(formatG(46.666666666, 8)).toBe('46.666667');
    expect(formatG(394.8242896, 4)).toBe('394.8');
    expect(formatG(-0.5)).toBe('-0.5');
  });
});
