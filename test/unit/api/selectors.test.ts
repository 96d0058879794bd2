// Label and field selectors checked against Kubernetes' own cases: apimachinery's
// pkg/labels/selector_test.go and pkg/fields/selector_test.go.
import { describe, expect, it } from 'vitest';
import {
  formatLabelSelector,
  formatLabels,
  labelSelectorMatcher,
  parseFieldSelector,
  parseLabelSelector,
} from '../../../src-main/lab/api/selectors';
import { ApiError } from '../../../src-main/lab/api/status';

function parseError(text: string): ApiError {
  try {
    parseLabelSelector(text);
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error(`"${text}" parsed, but Kubernetes rejects it`);
}

describe('label selector syntax', () => {
  // TestSelectorParse's good strings, and TestSetSelectorParser's valid ones.
  it.each([
    'x=a,y=b,z=c',
    '',
    'x!=a,y=b',
    'x=',
    'x= ',
    'x=,z= ',
    'x= ,z= ',
    '!x',
    'x>1',
    'x>1,z<5',
    '\rx',
    'this-is-a-dns.domain.com/key-with-dash',
    'this-is-another-dns.domain.com/key-with-dash in (so,what)',
    '0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)',
    'foo  in\t (abc)',
    'x notin\n (abc)',
    'x  notin\t\t\t(abc,def)',
    'x in (abc,)',
    'x in ()',
    'x notin (abc,,def),bar,z in (),w',
    'x notin ( )',
    'x notin (, a)',
    'a ',
    'a in (x,y,notin, z,in)',
    'notin=in',
  ])('accepts %j', (text) => {
    expect(() => parseLabelSelector(text)).not.toThrow();
  });

  // TestSelectorParse's bad strings, TestSetSelectorParser's invalid ones and
  // TestRequirementConstructor's failures (a 254-character key breaks the 63/253 limits).
  it.each([
    'x=a||y=b',
    'x==a==b',
    '!x=a',
    'x<a',
    'x,,y',
    ',x,y',
    'x nott in (y)',
    'a in (xyz),',
    'a in (xyz)b notin ()',
    'a in (xyz abc)',
    'a notin(',
    'a (',
    '(',
    'foo>bar',
    'a'.repeat(254),
  ])('rejects %j with a 400 BadRequest', (text) => {
    const err = parseError(text);
    expect(err.code).toBe(400);
    expect(err.reason).toBe('BadRequest');
    expect(err.message).toMatch(/^unable to parse requirement: /);
  });
});

describe('label selector matching', () => {
  const cases: [string, Record<string, string>, boolean][] = [
    // TestSelectorMatches
    ['', { x: 'y' }, true],
    ['x=y', { x: 'y' }, true],
    ['x=y,z=w', { x: 'y', z: 'w' }, true],
    ['x!=y,z!=w', { x: 'z', z: 'a' }, true],
    ['notin=in', { notin: 'in' }, true],
    ['x', { x: 'z' }, true],
    ['!x', { y: 'z' }, true],
    ['x>1', { x: '2' }, true],
    ['x<1', { x: '0' }, true],
    ['x=z', {}, false],
    ['x=y', { x: 'z' }, false],
    ['x=y,z=w', { x: 'w', z: 'w' }, false],
    ['x!=y,z!=w', { x: 'z', z: 'w' }, false],
    ['x', { y: 'z' }, false],
    ['!x', { x: 'z' }, false],
    ['x>1', { x: '0' }, false],
    ['x<1', { x: '2' }, false],
    ['foo=bar', { foo: 'bar', baz: 'blah' }, true],
    ['foo=bar,baz=blah', { foo: 'bar', baz: 'blah' }, true],
    ['foo=blah', { foo: 'bar', baz: 'blah' }, false],
    ['foo=bar,foobar=bar,baz=blah', { foo: 'bar', baz: 'blah' }, false],
    ['x==y', { x: 'y' }, true],
    // TestRequirementSelectorMatching, written in the query syntax
    ['x in (foo),y notin (alpha)', { x: 'foo', y: 'baz' }, true],
    ['x in (foo),y in (alpha)', { x: 'foo', y: 'baz' }, false],
    ['x notin (),y', { y: '' }, true],
    ['!x,y', { y: '' }, true],
    ['x notin (),!y', { y: '' }, false],
    ['x in ()', { y: 'baz' }, false],
    ['z>1', { z: '2' }, true],
    ['z>1', { z: 'v2' }, false],
    // `in ()` and a trailing comma in the list are the empty value, which a label may have.
    ['x in ()', { x: '' }, true],
    ['x in (abc,)', { x: '' }, true],
    ['z notin ()', { z: '' }, false],
    // `!=` and `notin` match objects without the key, as the API server's do.
    ['tier!=db', {}, true],
    ['env notin (prod)', { app: 'x' }, true],
    ['env in (prod, staging)', { env: 'staging' }, true],
  ];
  it.each(cases)('%j against %j → %s', (text, labels, want) => {
    expect(parseLabelSelector(text)(labels)).toBe(want);
  });
});

describe('LabelSelector objects (matchLabels, matchExpressions)', () => {
  it('ANDs matchLabels and every operator', () => {
    const m = labelSelectorMatcher({
      matchLabels: { app: 'reviews' },
      matchExpressions: [
        { key: 'version', operator: 'In', values: ['v1', 'v2'] },
        { key: 'canary', operator: 'DoesNotExist' },
        { key: 'tier', operator: 'NotIn', values: ['db'] },
        { key: 'team', operator: 'Exists' },
      ],
    });
    expect(m({ app: 'reviews', version: 'v2', team: 'a' })).toBe(true);
    expect(m({ app: 'reviews', version: 'v3', team: 'a' })).toBe(false);
    expect(m({ app: 'reviews', version: 'v1', team: 'a', canary: 'y' })).toBe(false);
    expect(m({ app: 'reviews', version: 'v1', team: 'a', tier: 'db' })).toBe(false);
    expect(m({ app: 'reviews', version: 'v1' })).toBe(false);
    expect(m({ app: 'ratings', version: 'v1', team: 'a' })).toBe(false);
  });

  it('matches everything when empty', () => {
    expect(labelSelectorMatcher({})({ any: 'thing' })).toBe(true);
    expect(labelSelectorMatcher(undefined)({})).toBe(true);
  });
});

describe('printing selectors', () => {
  it('prints a label map sorted, <none> when empty (labels.FormatLabels)', () => {
    expect(formatLabels({ b: '2', a: '1' })).toBe('a=1,b=2');
    expect(formatLabels({})).toBe('<none>');
    expect(formatLabels(undefined)).toBe('<none>');
  });

  // metav1.FormatLabelSelector prints labels.Selector.String(): requirements sorted by key
  // (TestToString), values sorted, Exists as the bare key, DoesNotExist as !key.
  it('prints a LabelSelector as metav1.FormatLabelSelector does', () => {
    expect(
      formatLabelSelector({
        matchLabels: { z: 'abc' },
        matchExpressions: [
          { key: 'x', operator: 'In', values: ['def', 'abc'] },
          { key: 'y', operator: 'NotIn', values: ['jkl'] },
          { key: 'w', operator: 'Exists' },
          { key: 'a', operator: 'DoesNotExist' },
        ],
      }),
    ).toBe('!a,w,x in (abc,def),y notin (jkl),z=abc');
    expect(formatLabelSelector({})).toBe('<none>');
  });
});

describe('field selectors', () => {
  it('parses =, == and != terms', () => {
    expect(parseFieldSelector('metadata.name=x,status.phase!=Running,spec.nodeName==lab')).toEqual([
      { field: 'metadata.name', op: '=', value: 'x' },
      { field: 'status.phase', op: '!=', value: 'Running' },
      { field: 'spec.nodeName', op: '=', value: 'lab' },
    ]);
    expect(parseFieldSelector('')).toEqual([]);
  });

  // fields.TestSelectorParse: good strings, with \, \= and \\ escapes in values.
  it('unescapes values as fields.UnescapeValue does', () => {
    expect(parseFieldSelector('x=a||y\\=b')).toEqual([{ field: 'x', op: '=', value: 'a||y=b' }]);
    expect(parseFieldSelector('x=a\\=\\=b')).toEqual([{ field: 'x', op: '=', value: 'a==b' }]);
    expect(parseFieldSelector('k=\\,,k2=v2')).toEqual([
      { field: 'k', op: '=', value: ',' },
      { field: 'k2', op: '=', value: 'v2' },
    ]);
    expect(parseFieldSelector('complex=\\=value\\\\\\,\\\\')).toEqual([{ field: 'complex', op: '=', value: '=value\\,\\' }]);
  });

  // parseSelector skips empty terms.
  it('skips empty terms', () => {
    expect(parseFieldSelector('a=a,')).toEqual([{ field: 'a', op: '=', value: 'a' }]);
  });

  // fields.TestSelectorParse's bad strings and TestEscapeValue's invalid sequences.
  it.each(['x=a||y=b', 'x==a==b', 'x=a,b', 'x in (a)', 'x in (a,b,c)', 'x', 'k=\\', 'k=\\a'])('rejects %j with a 400', (text) => {
    let caught: unknown;
    try {
      parseFieldSelector(text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ApiError);
    expect((caught as ApiError).code).toBe(400);
  });
});
