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
  let plainFrom = 0;
  for (let run = nextRun(text, 0); run; ) {
    const close = nextRun(text, run.end, run.end - run.start);
    if (!close) {
      run = nextRun(text, run.end);
      continue;
    }
    push(false, text.slice(plainFrom, run.start));
    let inner = text.slice(run.end, close.start).replace(/\n/g, ' ');
    if (inner.length > 2 && inner.startsWith(' ') && inner.endsWith(' ') && inner.trim() !== '') inner = inner.slice(1, -1);
    push(true, inner);
    plainFrom = close.end;
    run = nextRun(text, close.end);
  }
  push(false, text.slice(plainFrom));
  return spans;
}

/** The next run of backticks at or after `from` (of exactly `length` when given), or undefined. */
function nextRun(text: string, from: number, length?: number): { start: number; end: number } | undefined {
  for (let i = text.indexOf('`', from); i >= 0; ) {
    let end = i;
    while (text[end] === '`') end++;
    if (length === undefined || end - i === length) return { start: i, end };
    i = text.indexOf('`', end);
  }
  return undefined;
}
