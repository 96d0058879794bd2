// istioctl's `-o json|yaml`: Envoy's snake_case dump re-marshalled as Go's protojson (lowerCamelCase) and encoding/json print it.
import { stringify, type Pair } from 'yaml';
import { isObject } from './json';

// Proto map fields: their keys are data, their values are messages.
const MAP_FIELDS = new Set([
  'filter_metadata',
  'typed_filter_metadata',
  'typed_per_filter_config',
  'typed_extension_protocol_options',
  // xds matcher trees: exact_match_map.map / prefix_match_map.map are keyed by the matched values.
  'map',
]);
// Fields of type google.protobuf.Struct (or values of Struct maps): everything inside is data.
const STRUCT_FIELDS = new Set(['metadata_struct', 'static_layer', 'fields']);

function camel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function isStructAny(v: Record<string, unknown>): boolean {
  const t = v['@type'];
  return typeof t === 'string' && /(google\.protobuf\.Struct|TypedStruct)$/.test(t);
}

/** Renames message fields to protojson's lowerCamelCase, leaving map keys and Struct contents as they are. */
export function toProtoJsonNames(v: unknown, inStruct = false): unknown {
  if (Array.isArray(v)) return v.map((x) => toProtoJsonNames(x, inStruct));
  if (!isObject(v) || inStruct) return v;
  const out: Record<string, unknown> = {};
  const structAny = isStructAny(v);
  for (const [key, value] of Object.entries(v)) {
    if (key === '@type') {
      out[key] = value;
    } else if (MAP_FIELDS.has(key) && isObject(value)) {
      const inner: Record<string, unknown> = {};
      // filter_metadata's values are Structs; the others' are messages (Any).
      for (const [k, x] of Object.entries(value)) inner[k] = toProtoJsonNames(x, key === 'filter_metadata');
      out[camel(key)] = inner;
    } else if (STRUCT_FIELDS.has(key) || (structAny && key === 'value') || key === 'metadata' && looksLikeStruct(value)) {
      out[camel(key)] = value;
    } else {
      out[camel(key)] = toProtoJsonNames(value);
    }
  }
  return out;
}

/** core.Metadata has only map fields; a `metadata` object with other keys is a Struct (the node's metadata). */
function looksLikeStruct(v: unknown): boolean {
  return isObject(v) && Object.keys(v).some((k) => k !== 'filter_metadata' && k !== 'typed_filter_metadata');
}

/** Go's encoding/json escapes <, >, & and U+2028/9 in strings. */
function goEscape(json: string): string {
  return json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** go-yaml v2's map key order (keyList.Less): non-letters before letters, digit runs compared as numbers. */
export function goYamlKeyLess(a: string, b: string): boolean {
  const ar = Array.from(a);
  const br = Array.from(b);
  const letter = (c: string): boolean => /\p{L}/u.test(c);
  const digit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
  for (let i = 0; i < ar.length && i < br.length; i++) {
    if (ar[i] === br[i]) continue;
    const al = letter(ar[i]);
    const bl = letter(br[i]);
    if (al && bl) return ar[i] < br[i];
    if (al || bl) return bl;
    let an = 0;
    let bn = 0;
    if (ar[i] === '0' || br[i] === '0') {
      for (let j = i - 1; j >= 0 && digit(ar[j]); j--) {
        if (ar[j] !== '0') {
          an = 1;
          bn = 1;
          break;
        }
      }
    }
    let ai = i;
    for (; ai < ar.length && digit(ar[ai]); ai++) an = an * 10 + Number(ar[ai]);
    let bi = i;
    for (; bi < br.length && digit(br[bi]); bi++) bn = bn * 10 + Number(br[bi]);
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return ar[i] < br[i];
  }
  return ar.length < br.length;
}

function compareKeys(a: Pair, b: Pair): number {
  const ka = String((a.key as { value?: unknown } | null)?.value ?? a.key);
  const kb = String((b.key as { value?: unknown } | null)?.value ?? b.key);
  if (goYamlKeyLess(ka, kb)) return -1;
  return goYamlKeyLess(kb, ka) ? 1 : 0;
}

/** encoding/json.MarshalIndent(v, "", "    "), or sigs.k8s.io/yaml's JSONToYAML of it: go-yaml v2's key order and
 *  YAML 1.1 quoting (so "on", "yes" and timestamps stay strings). */
export function formatProtoJson(v: unknown, format: 'json' | 'yaml', rename = true): string {
  const named = rename ? toProtoJsonNames(v) : v;
  if (format === 'yaml') {
    return stringify(named, { version: '1.1', sortMapEntries: compareKeys, indentSeq: false, singleQuote: false }).replace(/\n$/, '');
  }
  return goEscape(JSON.stringify(named, null, 4));
}

/** A list of messages (istioctl's MessageSlice) with the Any wrapper's `@type` dropped from each. */
export function formatMessages(items: Record<string, unknown>[], format: 'json' | 'yaml'): string {
  const bare = items.map((m) => {
    const copy = { ...m };
    delete copy['@type'];
    return copy;
  });
  return formatProtoJson(bare, format);
}
