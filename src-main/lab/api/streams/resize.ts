// Terminal resize events: the JSON objects (`{"Width":80,"Height":24}`) a client writes one after
// another on the resize stream, read as Go's json.Decoder reads them, however they are split.
import type { Readable } from 'node:stream';

export interface TerminalSize {
  width: number;
  height: number;
}

/** Splits a byte stream into the top-level JSON objects it carries. */
export class JsonObjectSplitter {
  private text = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private start = -1;
  private scanned = 0;

  push(chunk: string): string[] {
    this.text += chunk;
    const objects: string[] = [];
    for (let i = this.scanned; i < this.text.length; i++) {
      const c = this.text[i];
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === '\\') this.escaped = true;
        else if (c === '"') this.inString = false;
      } else if (c === '"') {
        this.inString = true;
      } else if (c === '{') {
        if (this.depth++ === 0) this.start = i;
      } else if (c === '}' && this.depth > 0 && --this.depth === 0) {
        objects.push(this.text.slice(this.start, i + 1));
        this.start = -1;
      }
    }
    // Keep only an unfinished object; whitespace and stray bytes between objects are dropped.
    if (this.start >= 0) {
      this.text = this.text.slice(this.start);
      this.start = 0;
    } else {
      this.text = '';
    }
    this.scanned = this.text.length;
    return objects;
  }
}

/** Go decodes TerminalSize's fields case-insensitively; sizes are uint16. */
export function parseTerminalSize(json: string): TerminalSize | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const fields = new Map(Object.entries(value).map(([k, v]) => [k.toLowerCase(), v] as const));
  const width = fields.get('width');
  const height = fields.get('height');
  const valid = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 0xffff;
  if (!valid(width) || !valid(height)) return undefined;
  return { width, height };
}

/** Calls `listener` with each size read from the resize stream until it ends. */
export function readResizeEvents(stream: Readable, listener: (size: TerminalSize) => void): void {
  const splitter = new JsonObjectSplitter();
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    for (const json of splitter.push(chunk)) {
      const size = parseTerminalSize(json);
      if (size) listener(size);
    }
  });
}
