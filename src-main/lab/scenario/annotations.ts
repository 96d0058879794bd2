// Istio's pod annotations and labels: validated as Istio's injector does, with exact positions.
import { parseEmbedded } from './embedded';
import { innerPosAt, pointerSegment, posAt, Problems } from './errors';
import type { InterceptionMode, Pos, SourceRef } from './types';
import { isCidr, isRecord, type Reader } from './validate';

export const INJECT = 'sidecar.istio.io/inject';
export const INTERCEPTION_MODE = 'sidecar.istio.io/interceptionMode';
export const PROXY_CONFIG = 'proxy.istio.io/config';
export const SIDECAR_STATUS = 'sidecar.istio.io/status';
export const INTERCEPTION_MODES: InterceptionMode[] = ['REDIRECT', 'TPROXY', 'NONE'];

const TRAFFIC = 'traffic.sidecar.istio.io/';
/** traffic.sidecar.istio.io annotations and their syntax; `*` is allowed only on include lists. */
const TRAFFIC_ANNOTATIONS: Record<string, 'ports' | 'ports*' | 'cidrs' | 'cidrs*' | 'text'> = {
  includeInboundPorts: 'ports*',
  excludeInboundPorts: 'ports',
  includeOutboundPorts: 'ports',
  excludeOutboundPorts: 'ports',
  includeOutboundIPRanges: 'cidrs*',
  excludeOutboundIPRanges: 'cidrs',
  excludeInterfaces: 'text',
  kubevirtInterfaces: 'text',
};

/** The part of Istio's ProxyConfig the lab acts on; the rest is kept in `raw`. */
export interface ProxyConfigOverrides {
  holdApplicationUntilProxyStarts?: boolean;
  proxyMetadata?: Record<string, string>;
  interceptionMode?: InterceptionMode;
  raw: Record<string, unknown>;
}

/** Reads a ProxyConfig mapping (pod annotation or mesh `defaultConfig`). */
export function readProxyConfig(
  value: unknown,
  at: (path: string) => Pos,
  problems: Problems,
  what: string,
): ProxyConfigOverrides {
  if (value === null || value === undefined) return { raw: {} };
  if (!isRecord(value)) {
    problems.add(at(''), `${what} must be a YAML or JSON mapping`);
    return { raw: {} };
  }
  const out: ProxyConfigOverrides = { raw: value };
  const hold = value.holdApplicationUntilProxyStarts;
  if (hold !== undefined) {
    if (typeof hold === 'boolean') out.holdApplicationUntilProxyStarts = hold;
    else {
      problems.add(
        at('/holdApplicationUntilProxyStarts'),
        `${what}: holdApplicationUntilProxyStarts must be a boolean (true or false), got ${JSON.stringify(hold)}`,
      );
    }
  }
  const meta = value.proxyMetadata;
  if (meta !== undefined && meta !== null) {
    if (!isRecord(meta))
      problems.add(at('/proxyMetadata'), `${what}: proxyMetadata must be a mapping`);
    else {
      out.proxyMetadata = {};
      for (const [k, v] of Object.entries(meta)) {
        if (typeof v === 'string') out.proxyMetadata[k] = v;
        else {
          problems.add(
            at(`/proxyMetadata/${pointerSegment(k)}`),
            `${what}: proxyMetadata.${k} must be a string, got ${JSON.stringify(v)} (quote it)`,
          );
        }
      }
    }
  }
  const mode = value.interceptionMode;
  if (mode !== undefined) {
    if (INTERCEPTION_MODES.includes(mode as InterceptionMode))
      out.interceptionMode = mode as InterceptionMode;
    else {
      problems.add(
        at('/interceptionMode'),
        `${what}: interceptionMode must be REDIRECT, TPROXY or NONE, got ${JSON.stringify(mode)}`,
      );
    }
  }
  return out;
}

/** Parses an already validated `proxy.istio.io/config` value (the plan's view of it). */
export function proxyConfigFromAnnotation(text: string | undefined): ProxyConfigOverrides {
  if (text === undefined) return { raw: {} };
  const problems = new Problems();
  const src: SourceRef = { file: '', line: 1, col: 1, doc: 0, paths: {}, keys: {}, strings: {} };
  const doc = parseEmbedded(text, src, '', problems, PROXY_CONFIG);
  return readProxyConfig(doc?.value, () => src, problems, PROXY_CONFIG);
}

/**
 * Checks the Istio annotations and the `sidecar.istio.io/inject` label of a pod (or pod
 * template) whose metadata is at `metaPath`. Other `traffic.sidecar.istio.io/*` keys are listed
 * as ignored: Istio ignores them too, and a misspelt one is a classic reason for rules that
 * "do nothing".
 */
export function checkPodAnnotations(
  r: Reader,
  metaPath: string,
  labels: Record<string, string>,
  annotations: Record<string, string>,
): void {
  const annPath = (k: string) => `${metaPath}/annotations/${pointerSegment(k)}`;
  const labelInject = labels[INJECT];
  if (labelInject !== undefined && labelInject !== 'true' && labelInject !== 'false') {
    r.error(
      `${metaPath}/labels/${pointerSegment(INJECT)}`,
      `label ${INJECT} must be "true" or "false", got "${labelInject}"`,
    );
  }
  for (const [key, value] of Object.entries(annotations)) {
    const path = annPath(key);
    if (key === INJECT && value !== 'true' && value !== 'false') {
      r.error(path, `annotation ${INJECT} must be "true" or "false", got "${value}"`);
    } else if (
      key === INTERCEPTION_MODE &&
      !INTERCEPTION_MODES.includes(value as InterceptionMode)
    ) {
      r.error(
        path,
        `annotation ${INTERCEPTION_MODE} must be REDIRECT, TPROXY or NONE, got "${value}"`,
      );
    } else if (key === PROXY_CONFIG) {
      const doc = parseEmbedded(value, r.src, path, r.problems, `annotation ${PROXY_CONFIG}`);
      if (doc) readProxyConfig(doc.value, doc.at, r.problems, `annotation ${PROXY_CONFIG}`);
    } else if (key.startsWith(TRAFFIC)) {
      const name = key.slice(TRAFFIC.length);
      const syntax = TRAFFIC_ANNOTATIONS[name];
      if (!syntax) r.ignore(path, `${key} is not an Istio annotation, so Istio ignores it too`);
      else checkList(r, path, key, value, syntax);
    }
  }
}

function checkList(r: Reader, path: string, key: string, value: string, syntax: string): void {
  if (syntax === 'text' || value.trim() === '') return;
  const wildcard = syntax.endsWith('*');
  if (value.trim() === '*') {
    if (!wildcard) r.error(path, `annotation ${key} does not accept "*"`);
    return;
  }
  const ports = syntax.startsWith('ports');
  let offset = 0;
  for (const raw of value.split(',')) {
    const entry = raw.trim();
    const col = offset + (raw.length - raw.trimStart().length) + 1;
    offset += raw.length + 1;
    const bad = ports
      ? !/^\d{1,5}$/.test(entry) || Number(entry) < 1 || Number(entry) > 65535
      : !isCidr(entry);
    if (!bad) continue;
    const what = ports
      ? `a comma-separated list of ports (1-65535)${wildcard ? ' or "*"' : ''}`
      : `a comma-separated list of CIDRs${wildcard ? ' or "*"' : ''}`;
    const at = entry === '*' || entry === '' ? posAt(r.src, path) : innerPosAt(r.src, path, 1, col);
    r.problems.add(at, `annotation ${key} must be ${what}, got "${entry}" in "${value}"`);
    return;
  }
}
