// The injector ConfigMap (`istio-sidecar-injector` in `istio-system`): its `data.values` JSON, checked at file positions.
import {
  defaultInjectorValues,
  readInjectorValues,
  type InjectorValues,
} from '../injection/values';
import { parseEmbedded } from './embedded';
import { pointerSegment, Problems } from './errors';
import { readConfigMapData } from './mesh-config';
import type { IgnoredItem, InjectorConfig, ObjectMeta, SourceRef } from './types';
import { isRecord, Reader } from './validate';
import { parseYamlDocuments } from './yaml-source';

export const INJECTOR_CONFIGMAP = { namespace: 'istio-system', name: 'istio-sidecar-injector' };

export function isInjectorConfigMap(meta: Pick<ObjectMeta, 'namespace' | 'name'>): boolean {
  return meta.namespace === INJECTOR_CONFIGMAP.namespace && meta.name === INJECTOR_CONFIGMAP.name;
}

export function defaultInjectorConfig(): InjectorConfig {
  return { values: defaultInjectorValues(), declared: false };
}

/** Reads `data.values`; `data.config` (the template) is Istio's own one in the lab, so it is noted as ignored. */
export function readInjectorConfig(r: Reader, obj: Record<string, unknown>): InjectorConfig {
  const config: InjectorConfig = { values: defaultInjectorValues(), declared: true, source: r.src };
  const data = readConfigMapData(r, obj);
  for (const k of Object.keys(data)) {
    if (k !== 'values')
      r.ignore(
        `/data/${pointerSegment(k)}`,
        "the lab's injector uses Istio's default template; it reads data.values",
      );
  }
  if (data.values === undefined) return config;
  const what = 'injector values (data.values)';
  const doc = parseEmbedded(data.values, r.src, '/data/values', r.problems, what);
  if (!doc || doc.value === null) return config;
  const { values, problems } = readInjectorValues(doc.value);
  for (const p of problems) r.problems.add(doc.at(p.pointer), p.message);
  config.values = values;
  return config;
}

/**
 * The injector values of a file that may hold the ConfigMap beside other objects (`iptables --pod
 * FILE`): Istio's defaults when it holds none. Throws a ScenarioError (FILE:LINE:COL) for a bad one.
 */
export function injectorValuesInText(text: string, file: string): InjectorValues {
  const problems = new Problems();
  const ignored: IgnoredItem[] = [];
  let found: InjectorConfig | undefined;
  for (const doc of parseYamlDocuments(text, file, problems)) {
    const v = doc.value;
    if (!isRecord(v) || v.kind !== 'ConfigMap' || !isRecord(v.metadata)) continue;
    const meta = {
      namespace: String(v.metadata.namespace ?? 'default'),
      name: String(v.metadata.name ?? ''),
    };
    if (!isInjectorConfigMap(meta)) continue;
    found = readInjectorConfig(
      new Reader(doc.source as SourceRef, problems, ignored, 'ConfigMap'),
      v,
    );
  }
  problems.throwIfAny([file]);
  return found?.values ?? defaultInjectorValues();
}
