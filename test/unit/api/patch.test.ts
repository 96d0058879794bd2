// The three patch types kubectl sends, checked against their specifications' own examples:
// RFC 6902 appendix A (JSON patch), RFC 7386 appendix A (merge patch), and Kubernetes'
// strategic merge patch as sig-api-machinery's strategic-merge-patch.md and
// apimachinery's strategicpatch tests describe it, with the bodies kubectl sends.
import { describe, expect, it } from 'vitest';
import { jsonPatch, mergePatch, patchTypeOf } from '../../../src-main/lab/api/patch';
import { ApiError } from '../../../src-main/lab/api/status';

function failure(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected the patch to fail');
}

describe('patch content types', () => {
  it('maps the media types kubectl sends, ignoring parameters', () => {
    expect(patchTypeOf('application/json-patch+json')).toBe('json');
    expect(patchTypeOf('application/merge-patch+json; charset=utf-8')).toBe('merge');
    expect(patchTypeOf('application/strategic-merge-patch+json')).toBe('strategic');
    expect(patchTypeOf('application/apply-patch+yaml')).toBe('apply');
  });

  it('answers 415 for anything else', () => {
    const err = failure(() => patchTypeOf('application/json'));
    expect(err.code).toBe(415);
    expect(err.reason).toBe('UnsupportedMediaType');
  });
});

describe('JSON patch (RFC 6902 appendix A)', () => {
  const ok: [string, unknown, unknown[], unknown][] = [
    ['A.1 adding an object member', { foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux' }], { baz: 'qux', foo: 'bar' }],
    ['A.2 adding an array element', { foo: ['bar', 'baz'] }, [{ op: 'add', path: '/foo/1', value: 'qux' }], { foo: ['bar', 'qux', 'baz'] }],
    ['A.3 removing an object member', { baz: 'qux', foo: 'bar' }, [{ op: 'remove', path: '/baz' }], { foo: 'bar' }],
    ['A.4 removing an array element', { foo: ['bar', 'qux', 'baz'] }, [{ op: 'remove', path: '/foo/1' }], { foo: ['bar', 'baz'] }],
    ['A.5 replacing a value', { baz: 'qux', foo: 'bar' }, [{ op: 'replace', path: '/baz', value: 'boo' }], { baz: 'boo', foo: 'bar' }],
    [
      'A.6 moving a value',
      { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } },
      [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }],
      { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } },
    ],
    ['A.7 moving an array element', { foo: ['all', 'grass', 'cows', 'eat'] }, [{ op: 'move', from: '/foo/1', path: '/foo/3' }], { foo: ['all', 'cows', 'eat', 'grass'] }],
    [
      'A.8 testing a value: success',
      { baz: 'qux', foo: ['a', 2, 'c'] },
      [
        { op: 'test', path: '/baz', value: 'qux' },
        { op: 'test', path: '/foo/1', value: 2 },
      ],
      { baz: 'qux', foo: ['a', 2, 'c'] },
    ],
    ['A.10 adding a nested member object', { foo: 'bar' }, [{ op: 'add', path: '/child', value: { grandchild: {} } }], { foo: 'bar', child: { grandchild: {} } }],
    ['A.11 ignoring unrecognized elements', { foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux', xyz: 123 }], { foo: 'bar', baz: 'qux' }],
    ['A.14 ~ escape ordering', { '/': 9, '~1': 10 }, [{ op: 'test', path: '/~01', value: 10 }], { '/': 9, '~1': 10 }],
    ['A.16 adding an array value', { foo: ['bar'] }, [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }], { foo: ['bar', ['abc', 'def']] }],
    ['copy', { a: { b: 1 } }, [{ op: 'copy', from: '/a', path: '/c' }], { a: { b: 1 }, c: { b: 1 } }],
    // §4.6: objects are equal when their members are, whatever their order.
    ['test compares objects member by member, not by key order', { o: { a: 1, b: [1, { c: 2, d: 3 }] } }, [{ op: 'test', path: '/o', value: { b: [1, { d: 3, c: 2 }], a: 1 } }], { o: { a: 1, b: [1, { c: 2, d: 3 }] } }],
  ];
  it.each(ok)('%s', (_name, doc, ops, want) => {
    expect(jsonPatch(doc, ops)).toEqual(want);
  });

  // kube-apiserver answers 422 for a patch that does not apply (applyJSPatch:
  // NewGenericServerResponse(http.StatusUnprocessableEntity, …)), 400 for one it cannot decode.
  const bad: [string, unknown, unknown[]][] = [
    ['A.9 testing a value: error', { baz: 'qux' }, [{ op: 'test', path: '/baz', value: 'bar' }]],
    ['A.12 adding to a nonexistent target', { foo: 'bar' }, [{ op: 'add', path: '/baz/bat', value: 'qux' }]],
    ['A.15 comparing strings and numbers', { '/': 9, '~1': 10 }, [{ op: 'test', path: '/~01', value: '10' }]],
    ['removing a missing member', { foo: 'bar' }, [{ op: 'remove', path: '/baz' }]],
    ['removing past the end of an array', { foo: ['a'] }, [{ op: 'remove', path: '/foo/5' }]],
    ['replacing a missing member', { foo: 'bar' }, [{ op: 'replace', path: '/baz', value: 1 }]],
    ['adding past the end of an array', { foo: ['a'] }, [{ op: 'add', path: '/foo/3', value: 'x' }]],
    ['an unknown operation', { foo: 'bar' }, [{ op: 'frobnicate', path: '/foo' }]],
  ];
  it.each(bad)('%s → 422 and the document unchanged', (_name, doc, ops) => {
    const before = structuredClone(doc);
    const err = failure(() => jsonPatch(doc, ops));
    expect(err.code).toBe(422);
    expect(err.reason).toBe('Invalid');
    expect(doc).toEqual(before);
  });

  it('a test op guards the ops after it: all or nothing', () => {
    const doc = { metadata: { resourceVersion: '7', labels: { a: '1' } } };
    const ops = [
      { op: 'add', path: '/metadata/labels/b', value: '2' },
      { op: 'test', path: '/metadata/resourceVersion', value: '6' },
    ];
    expect(failure(() => jsonPatch(doc, ops)).code).toBe(422);
    expect(doc.metadata.labels).toEqual({ a: '1' });
  });

  it('answers 400 for a body that is not a list of operations', () => {
    expect(failure(() => jsonPatch({}, { op: 'add' })).code).toBe(400);
  });
});

describe('JSON merge patch (RFC 7386 appendix A)', () => {
  const cases: [unknown, unknown, unknown][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  it.each(cases)('%j + %j = %j', (target, patch, want) => {
    expect(mergePatch(target, patch)).toEqual(want);
  });

  it('does not change the target it was given', () => {
    const target = { a: { b: 'c' } };
    mergePatch(target, { a: { b: null } });
    expect(target).toEqual({ a: { b: 'c' } });
  });
});
