// sigs.k8s.io/yaml's Marshal as kube-inject prints with it: go-yaml v2's key order and its choice of plain, '…' or "…" for strings.
import { Document, visit, type Pair } from 'yaml';
import { goYamlKeyLess } from '../configdump/proto-json';

function compareKeys(a: Pair, b: Pair): number {
  const ka = String((a.key as { value?: unknown } | null)?.value ?? a.key);
  const kb = String((b.key as { value?: unknown } | null)?.value ?? b.key);
  if (goYamlKeyLess(ka, kb)) return -1;
  return goYamlKeyLess(kb, ka) ? 1 : 0;
}

const NULLS = ['', '~', 'null', 'Null', 'NULL'];
const BOOLS =
  'y Y yes Yes YES n N no No NO true True TRUE false False FALSE on On ON off Off OFF'.split(' ');
const SPECIAL_FLOATS = /^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const INT = /^[-+]?(?:0b[01_]+|0o[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*)$/;
const FLOAT = /^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)(?:[eE][-+]?[0-9]+)?$/;
const GO_FLOAT_WORDS = /^[-+](?:inf|infinity|nan)$/i;
const BASE60 = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;
const TIMESTAMP =
  /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt ][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]*)?(?:Z|[-+][0-9]{2}:[0-9]{2})?)?$/;

/**
 * go-yaml v2 (encode.go stringv) double-quotes a string that its resolver would read back as
 * something else (null, bool, int, float, base-60 float, timestamp); other strings are plain when
 * the emitter allows it, else single-quoted.
 */
export function resolvesAsNonString(s: string): boolean {
  if (NULLS.includes(s) || BOOLS.includes(s) || SPECIAL_FLOATS.test(s)) return true;
  if (!/^[-+0-9.]/.test(s)) return false;
  return (
    INT.test(s) || FLOAT.test(s) || GO_FLOAT_WORDS.test(s) || BASE60.test(s) || TIMESTAMP.test(s)
  );
}

/** The YAML sigs.k8s.io/yaml writes for JSON data: keys in go-yaml's order, `'*'`, `"15001"`, `""`, `|` for multi-line strings. */
export function goYamlMarshal(v: unknown): string {
  const doc = new Document(v, { version: '1.1', sortMapEntries: compareKeys });
  visit(doc, {
    Scalar(_key, node) {
      if (
        typeof node.value === 'string' &&
        !node.value.includes('\n') &&
        resolvesAsNonString(node.value)
      )
        node.type = 'QUOTE_DOUBLE';
    },
  });
  return doc.toString({ indentSeq: false, singleQuote: true });
}
