// kube-inject's inputs besides the workloads: the mesh config (--meshConfigFile) and the injector's values (--valuesFile, --injectConfigFile).
import { parseDocument } from 'yaml';
import { readInjectorValues, type InjectorValues, type MeshLike } from '../../lab/injection';
import { IstioctlError } from '../errors';

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** One YAML (or JSON) document of a config file; a clear error naming the flag, file and line when it does not parse. */
function parseOne(text: string, flag: string, file: string): unknown {
  const doc = parseDocument(text, { version: '1.1', prettyErrors: false });
  const err = doc.errors[0];
  if (err) {
    const line = err.linePos?.[0].line;
    throw new IstioctlError(
      `${flag} ${file}${line ? `:${line}` : ''}: ${err.message.split('\n')[0]}`,
    );
  }
  return doc.toJS() as unknown;
}

/** A ConfigMap's `data[key]`, when the file holds a ConfigMap rather than the bare content. */
function configMapData(
  v: unknown,
  key: string,
  flag: string,
  file: string,
): string | undefined | null {
  if (!isObj(v) || v.kind !== 'ConfigMap') return null;
  const data = isObj(v.data) ? v.data : {};
  const s = data[key];
  if (s !== undefined && typeof s !== 'string')
    throw new IstioctlError(`${flag} ${file}: data.${key} must be a string`);
  return s;
}

function checkType(
  v: unknown,
  want: 'string' | 'boolean',
  at: string,
  flag: string,
  file: string,
): void {
  if (v !== undefined && v !== null && typeof v !== want) {
    throw new IstioctlError(`${flag} ${file}: ${at} must be a ${want}, got ${JSON.stringify(v)}`);
  }
}

/**
 * The MeshConfig of --meshConfigFile (as `kubectl get cm istio -o jsonpath={.data.mesh}` saves it;
 * the whole ConfigMap is accepted too). The fields injection reads are checked as protojson would.
 */
export function readMeshConfigFile(text: string, file: string): MeshLike {
  const flag = '--meshConfigFile';
  let v = parseOne(text, flag, file);
  const inMap = configMapData(v, 'mesh', flag, file);
  if (inMap !== null) v = inMap === undefined ? {} : parseOne(inMap, flag, `${file} (data.mesh)`);
  if (v === null || v === undefined) return {};
  if (!isObj(v)) throw new IstioctlError(`${flag} ${file}: a MeshConfig must be a YAML mapping`);
  checkType(v.trustDomain, 'string', 'trustDomain', flag, file);
  checkType(v.enablePrometheusMerge, 'boolean', 'enablePrometheusMerge', flag, file);
  const dc = v.defaultConfig;
  if (dc !== undefined && dc !== null) {
    if (!isObj(dc)) throw new IstioctlError(`${flag} ${file}: defaultConfig must be a mapping`);
    const mode = dc.interceptionMode;
    if (
      mode !== undefined &&
      mode !== null &&
      !['REDIRECT', 'TPROXY', 'NONE'].includes(String(mode))
    ) {
      throw new IstioctlError(
        `${flag} ${file}: defaultConfig.interceptionMode: invalid value ${JSON.stringify(mode)} for enum type istio.mesh.v1alpha1.ProxyConfig.InboundInterceptionMode (REDIRECT, TPROXY or NONE)`,
      );
    }
    checkType(
      dc.holdApplicationUntilProxyStarts,
      'boolean',
      'defaultConfig.holdApplicationUntilProxyStarts',
      flag,
      file,
    );
    const md = dc.proxyMetadata;
    if (md !== undefined && md !== null) {
      if (!isObj(md))
        throw new IstioctlError(
          `${flag} ${file}: defaultConfig.proxyMetadata must be a mapping of strings`,
        );
      for (const [k, x] of Object.entries(md))
        checkType(x, 'string', `defaultConfig.proxyMetadata.${k}`, flag, file);
    }
  }
  return v as MeshLike;
}

/** Injector values (JSON or YAML, as `data.values` holds them), checked as the lab checks its injector ConfigMap. */
export function readValuesText(text: string, flag: string, file: string): InjectorValues {
  const v = parseOne(text, flag, file);
  const { values, problems } = readInjectorValues(v ?? {});
  if (problems.length > 0)
    throw new IstioctlError(`${flag} ${file}: ${problems.map((p) => p.message).join('; ')}`);
  return values;
}

export interface InjectConfig {
  /** `data.values` of an istio-sidecar-injector ConfigMap, when the file is one. */
  values?: InjectorValues;
  /** The file carries template text, which the lab does not interpret (it renders Istio's own sidecar template). */
  hasTemplates: boolean;
}

/**
 * --injectConfigFile: the injector's config (`templates:` …, as `jsonpath={.data.config}` saves it),
 * a bare template, or the whole istio-sidecar-injector ConfigMap, whose `data.values` are used.
 */
export function readInjectConfigFile(text: string, file: string): InjectConfig {
  const flag = '--injectConfigFile';
  let v: unknown;
  try {
    v = parseOne(text, flag, file);
  } catch {
    // A bare Go template need not be valid YAML; istioctl takes such a file as the `sidecar` template.
    return { hasTemplates: text.trim() !== '' };
  }
  const values = configMapData(v, 'values', flag, file);
  if (values !== null) {
    const config = configMapData(v, 'config', flag, file);
    return {
      ...(values !== undefined
        ? { values: readValuesText(values, flag, `${file} (data.values)`) }
        : {}),
      hasTemplates: typeof config === 'string' && config.trim() !== '',
    };
  }
  return { hasTemplates: text.trim() !== '' };
}
