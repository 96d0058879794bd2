// In-memory files as a tar stream: build contexts, and files put into containers before they start.
import { pack } from 'tar-stream';

/** A tar stream of in-memory files, for build contexts and for files put into containers. */
export function tarOf(files: Map<string, Buffer>): NodeJS.ReadableStream {
  const tar = pack();
  for (const [name, content] of files) {
    const executable = name.startsWith('bin/');
    // A fixed mtime keeps the build cache valid across bundles with the same bytes.
    tar.entry({ name, mode: executable ? 0o755 : 0o644, mtime: new Date(0) }, content);
  }
  tar.finalize();
  return tar as unknown as NodeJS.ReadableStream;
}
