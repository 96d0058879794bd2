// Inline code in a step's prose (`kubectl get pods`): the spans the Guide shows as code instead of literal backticks.

export interface InlineSpan {
  code: boolean;
  text: string;
}

/**
 * Splits text into plain and code spans as CommonMark reads backticks: a run of N backticks opens
 * a code span that the next run of exactly N closes; one space padding both ends is dropped; a run
 * with no closing run is literal text.
 */
export function inlineSpans(text: string): InlineSpan[] {
  const spans: InlineSpan[] = [];
  const push = (code: boolean, part: string) => {
    if (part === '') return;
    const prev = spans.at(-1);
    if (prev && !prev.code && !code) prev.text += part;
    else spans.push({ code, text: part });
  };
  let i = 0;
  let plainFrom = 0;
  while (i < text.length) {
    if (text[i] !== '`') {
      i++;
      continue;
    }
    let runEnd = i;
    while (text[runEnd] === '`') runEnd++;
    const run = text.slice(i, runEnd);
    const close = closingRun(text, runEnd, run.length);
    if (close < 0) {
      i = runEnd;
      continue;
    }
    push(false, text.slice(plainFrom, i));
    let inner = text.slice(runEnd, close).replace(/\n/g, ' ');
    if (inner.length > 2 && inner.startsWith(' ') && inner.endsWith(' ') && inner.trim() !== '') inner = inner.slice(1, -1);
    push(true, inner);
    i = close + run.length;
    plainFrom = i;
  }
  push(false, text.slice(plainFrom));
  return spans;
}

/** Where the next run of exactly `length` backticks starts at or after `from`, or -1. */
function closingRun(text: string, from: number, length: number): number {
  let i = from;
  while (i < text.length) {
    if (text[i] !== '`') {
      i++;
      continue;
    }
    let end = i;
    while (text[end] === '`') end++;
    if (end - i === length) return i;
    i = end;
  }
  return -1;
}
