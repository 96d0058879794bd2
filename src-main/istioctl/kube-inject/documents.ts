// A multi-document YAML stream cut as Kubernetes' YAMLReader cuts it (what `istioctl kube-inject` reads), with line numbers.

export interface RawDocument {
  /** 1-based position of the document in the stream, counting the chunks YAMLReader returns. */
  index: number;
  /** 1-based line of the file where the document starts. */
  line: number;
  /** The document's lines, each ended by "\n" (YAMLReader's LineReader normalises line ends). */
  text: string;
}

/**
 * The chunks k8s.io/apimachinery's YAMLReader returns: a line starting with `---` followed by
 * nothing or a comment ends a document; empty chunks are skipped, chunks of only comments or blank
 * lines are kept (istioctl passes them through unchanged).
 */
export function splitYamlStream(text: string): RawDocument[] {
  const lines = text.split(/\r?\n/);
  // A final newline ends the last line; it does not start an empty one.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const docs: RawDocument[] = [];
  let buffer: string[] = [];
  let start = 1;
  const flush = () => {
    if (buffer.length > 0)
      docs.push({
        index: docs.length + 1,
        line: start,
        text: buffer.map((l) => `${l}\n`).join(''),
      });
    buffer = [];
  };
  lines.forEach((line, i) => {
    if (line.startsWith('---')) {
      const rest = line.slice(3).trim();
      if (rest === '' || rest.startsWith('#')) {
        flush();
        start = i + 2;
        return;
      }
    }
    if (buffer.length === 0) start = i + 1;
    buffer.push(line);
  });
  flush();
  return docs;
}
