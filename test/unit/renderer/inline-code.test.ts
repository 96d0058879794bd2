// The Guide's inline code spans, as CommonMark reads backticks.
import { describe, expect, it } from 'vitest';
import { inlineSpans } from '../../../src-renderer/src/guide/inline-code';

describe('inlineSpans', () => {
  it('turns backtick pairs into code spans and leaves the rest as text', () => {
    expect(inlineSpans('Compare `p50` and `p90` here.')).toEqual([
      { code: false, text: 'Compare ' },
      { code: true, text: 'p50' },
      { code: false, text: ' and ' },
      { code: true, text: 'p90' },
      { code: false, text: ' here.' },
    ]);
  });

  it('closes a span only with a run of the same length, so code may hold backticks', () => {
    expect(inlineSpans('run `` echo `id` `` now')).toEqual([
      { code: false, text: 'run ' },
      { code: true, text: 'echo `id`' },
      { code: false, text: ' now' },
    ]);
  });

  it('keeps an unmatched backtick as literal text', () => {
    expect(inlineSpans("it's a ` stray one")).toEqual([{ code: false, text: "it's a ` stray one" }]);
  });

  it('reads a line break inside a span as a space', () => {
    expect(inlineSpans('`kubectl get\npods`')).toEqual([{ code: true, text: 'kubectl get pods' }]);
  });
});
