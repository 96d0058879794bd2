// jsdom has no 2D canvas, Path2D or matchMedia: a recording stand-in at that boundary only, so uPlot runs its own code in the view tests.
import { vi } from 'vitest';

/** Every drawing call a chart made, by method name (fill, stroke, fillText…), with its arguments. */
export const drawn: { method: string; args: unknown[] }[] = [];

class FakePath2D {
  readonly ops: string[] = [];
  constructor() {
    for (const m of ['moveTo', 'lineTo', 'rect', 'arc', 'bezierCurveTo', 'quadraticCurveTo', 'closePath', 'addPath']) {
      (this as unknown as Record<string, unknown>)[m] = (...args: unknown[]) => this.ops.push(`${m}(${args.length})`);
    }
  }
}

function fakeContext(canvas: HTMLCanvasElement): CanvasRenderingContext2D {
  const props: Record<string | symbol, unknown> = { canvas };
  return new Proxy(props, {
    get(target, key) {
      if (key in target) return target[key];
      if (key === 'measureText') return (text: string) => ({ width: String(text).length * 6, actualBoundingBoxAscent: 8, actualBoundingBoxDescent: 2 });
      if (typeof key === 'symbol') return undefined;
      return (...args: unknown[]) => {
        drawn.push({ method: key, args });
        return undefined;
      };
    },
    set(target, key, value) {
      target[key] = value;
      return true;
    },
  }) as unknown as CanvasRenderingContext2D;
}

/** uPlot asks for the pixel ratio's media query when its module loads, so this is installed from setup.ts for every view test. */
export function installMatchMedia(): void {
  window.matchMedia ??= ((query: string) =>
    ({ matches: false, media: query, onchange: null, addListener: () => {}, removeListener: () => {}, addEventListener: () => {}, removeEventListener: () => {}, dispatchEvent: () => false }) as MediaQueryList);
}

/** For the tests that draw charts: a 2D context that records, and Path2D. */
export function stubCanvas(): void {
  drawn.length = 0;
  vi.stubGlobal('Path2D', FakePath2D);
  vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockImplementation(function (this: HTMLCanvasElement) {
    return fakeContext(this);
  } as never);
}
