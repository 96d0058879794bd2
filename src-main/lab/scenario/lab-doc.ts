// The Lab document's cluster settings: the Kubernetes version the cluster reports and istiod's environment (ENABLE_NATIVE_SIDECARS).
import {
  NATIVE_SIDECARS_ENV,
  parseNativeSidecarMode,
  type NativeSidecarMode,
} from '../injection/native-sidecars';
import type { LabDoc, SourceRef } from './types';
import { type Reader } from './validate';

/** The release the lab's cluster reports when the Lab document names none. */
export const DEFAULT_KUBERNETES_VERSION = 'v1.32.5';
/** Native sidecars are on by default from Kubernetes 1.29 (beta); the lab models no feature gates before that. */
export const MIN_KUBERNETES_MINOR = 29;

const ISTIOD_ENV_IGNORED = `the lab's istiod reads only ${NATIVE_SIDECARS_ENV}`;

/** `v1.33.1` (or `1.33.1`) as kube-apiserver's gitVersion; a message when it is not one the lab can be. */
export function kubernetesVersionError(text: string): string | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (!m) return `kubernetesVersion must be a Kubernetes release like v1.33.1, got "${text}"`;
  if (Number(m[1]) !== 1 || Number(m[2]) < MIN_KUBERNETES_MINOR)
    return `kubernetesVersion must be v1.${MIN_KUBERNETES_MINOR}.0 or later (sidecar containers are on by default from 1.${MIN_KUBERNETES_MINOR}), got "${text}"`;
  return undefined;
}

export const normalizeKubernetesVersion = (text: string): string => (text.startsWith('v') ? text : `v${text}`);

/** A value of ENABLE_NATIVE_SIDECARS as written in YAML: a string, or a bare true/false as Helm values allow. */
function nativeSidecarMode(r: Reader, value: unknown, path: string): NativeSidecarMode | undefined {
  const text = typeof value === 'boolean' ? String(value) : r.string(value, path, NATIVE_SIDECARS_ENV);
  if (text === undefined) return undefined;
  const mode = parseNativeSidecarMode(text);
  if (!mode)
    r.error(path, `${NATIVE_SIDECARS_ENV} must be "true", "false" or "auto", got "${text}" (istiod would warn and treat it as false)`);
  return mode;
}

/** `spec.symptoms`: the commands that show the reproduced problem, each a non-empty line. */
function readSymptoms(r: Reader, value: unknown): string[] | undefined {
  const list = r.stringList(value, '/spec/symptoms', 'symptoms');
  list?.forEach((s, i) => {
    if (s.trim() === '' || s.includes('\n')) r.error(`/spec/symptoms/${i}`, `symptoms[${i}] must be one command on one line, got ${JSON.stringify(s)}`);
  });
  return list?.length ? list.map((s) => s.trim()) : undefined;
}

/** `spec` of a Lab document: description, kubernetesVersion, istiod.env, symptoms; other keys are read by later stages. */
export function readLabDoc(r: Reader, name: string, spec: Record<string, unknown>, source: SourceRef, annotations: Record<string, string>): LabDoc {
  const description = r.string(spec.description, '/spec/description', 'description') ?? annotations['sidecarlab.dev/description'];
  const lab: LabDoc = { name, spec, source, ...(description ? { description: description.trim() } : {}) };
  const symptoms = readSymptoms(r, spec.symptoms);
  if (symptoms) lab.symptoms = symptoms;
  const version = r.string(spec.kubernetesVersion, '/spec/kubernetesVersion', 'kubernetesVersion');
  if (version !== undefined) {
    const err = kubernetesVersionError(version);
    if (err) r.error('/spec/kubernetesVersion', err);
    else lab.kubernetesVersion = normalizeKubernetesVersion(version);
  }
  const istiod = r.map(spec.istiod, '/spec/istiod', 'istiod');
  if (istiod) {
    r.fields(istiod, '/spec/istiod', { env: 'model' });
    const env = r.map(istiod.env, '/spec/istiod/env', 'istiod.env') ?? {};
    for (const [key, value] of Object.entries(env)) {
      const path = `/spec/istiod/env/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (key !== NATIVE_SIDECARS_ENV) {
        r.ignore(path, ISTIOD_ENV_IGNORED);
        continue;
      }
      const mode = nativeSidecarMode(r, value, path);
      if (mode) lab.nativeSidecars = mode;
    }
  }
  return lab;
}
