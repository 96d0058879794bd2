// Reading and writing a bundle's members: files gathered from folders, byte counting with progress, and a tar stream read entry by entry.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { extract, type Header } from 'tar-stream';

/** Every file under `dir`, as [path relative to dir with `/`, absolute file], sorted. */
export function filesUnder(dir: string): [string, string][] {
  const out: [string, string][] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.push([relative(dir, full).split('\\').join('/'), full]);
    }
  };
  walk(dir);
  return out;
}

export interface FileMember {
  path: string;
  content: Buffer;
}

/** The bundle members of workshop folders and scenario files: `workshops/NAME/…`, `scenarios/FILE`. */
export function fileMembers(workshopDirs: readonly string[], scenarioFiles: readonly string[]): FileMember[] {
  const out: FileMember[] = [];
  const seen = new Map<string, string>();
  const add = (path: string, from: string): void => {
    const other = seen.get(path);
    if (other) throw new Error(`${from} and ${other} would both be ${path} in the bundle: rename one`);
    seen.set(path, from);
    out.push({ path, content: readFileSync(from) });
  };
  for (const dir of workshopDirs) for (const [rel, full] of filesUnder(dir)) add(`workshops/${basename(dir)}/${rel}`, full);
  for (const file of scenarioFiles) add(`scenarios/${basename(file)}`, file);
  return out;
}

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Passes bytes through, hashing and counting them, and calls `tick` at most every `everyMs`. */
export class Tally extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;
  private last = Date.now();
  constructor(
    private readonly tick: (bytes: number) => void,
    private readonly everyMs = 2000,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null, data?: Buffer) => void): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    if (Date.now() - this.last >= this.everyMs) {
      this.last = Date.now();
      this.tick(this.bytes);
    }
    done(null, chunk);
  }
  digest(): string {
    return this.hash.digest('hex');
  }
}

/** Reads a tar stream entry by entry: `onEntry` must consume the entry's stream (tar-stream's own, seen as a Node stream). */
export function eachEntry(input: Readable, onEntry: (header: Header, stream: Readable) => Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    const ex = extract();
    let failed = false;
    const fail = (err: unknown): void => {
      if (failed) return;
      failed = true;
      input.destroy();
      ex.destroy();
      reject(err instanceof Error ? err : new Error(String(err)));
    };
    ex.on('entry', (header, stream, next) => {
      onEntry(header, Readable.from(stream)).then(() => next(), fail);
    });
    ex.on('finish', () => {
      if (!failed) resolve();
    });
    ex.on('error', fail);
    input.on('error', fail);
    input.pipe(ex);
  });
}
