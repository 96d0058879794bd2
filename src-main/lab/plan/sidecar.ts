// The effective proxy settings of an injected pod: mesh defaultConfig, then the pod's own config.
import {
  INTERCEPTION_MODE,
  INTERCEPTION_MODES,
  proxyConfigFromAnnotation,
  PROXY_CONFIG,
} from '../scenario/annotations';
import { nativeSidecarFor } from '../injection/native-sidecars';
import { defaultInjectorValues, type InjectorValues } from '../injection/values';
import type { InterceptionMode, MeshConfig, PodSpec } from '../scenario/types';
import { isRecord } from '../scenario/validate';
import type { SidecarPlan } from './types';

/** istio-init's flag for the interception mode (`-m MODE` or `--istio-inbound-interception-mode`). */
function modeFromInitArgs(args: string[]): InterceptionMode | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const eq = /^--?(m|istio-inbound-interception-mode)=(.*)$/.exec(a);
    const v = eq
      ? eq[2]
      : a === '-m' || a === '--istio-inbound-interception-mode'
        ? args[i + 1]
        : undefined;
    if (v && INTERCEPTION_MODES.includes(v as InterceptionMode)) return v as InterceptionMode;
  }
  return undefined;
}

/** An already injected istio-proxy carries the merged ProxyConfig as JSON in `PROXY_CONFIG`. */
function injectedProxyConfig(spec: PodSpec): Record<string, unknown> | undefined {
  const raw = spec.injectedProxy?.env.find((e) => e.name === 'PROXY_CONFIG')?.value;
  if (!raw) return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Istio's precedence: mesh `defaultConfig`, then the pod's `proxy.istio.io/config` (top-level keys
 * replace, `proxyMetadata` merges key by key); the interception mode annotation wins over both.
 * For an already injected pod, its istio-init arguments and PROXY_CONFIG are what was decided.
 * The injector's values add `global.proxy.holdApplicationUntilProxyStarts` (the template ORs it
 * with the ProxyConfig's) and `global.proxy.privileged`. `nativeSidecars` is istiod's decision
 * (ENABLE_NATIVE_SIDECARS and the node's version), which the pod's annotation overrides.
 */
export function sidecarPlan(
  mesh: MeshConfig,
  annotations: Record<string, string>,
  spec: PodSpec,
  values: InjectorValues = defaultInjectorValues(),
  nativeSidecars = false,
): SidecarPlan {
  const pod = proxyConfigFromAnnotation(annotations[PROXY_CONFIG]);
  const injected = spec.alreadyInjected ? injectedProxyConfig(spec) : undefined;
  const podRaw = { ...pod.raw, ...(injected ?? {}) };
  const podMeta = isRecord(podRaw.proxyMetadata) ? podRaw.proxyMetadata : {};
  const proxyMetadata: Record<string, string> = { ...mesh.defaultConfig.proxyMetadata };
  for (const [k, v] of Object.entries(podMeta)) if (typeof v === 'string') proxyMetadata[k] = v;
  const proxyConfig: Record<string, unknown> = { ...mesh.defaultConfig.raw, ...podRaw };
  if (Object.keys(proxyMetadata).length > 0) proxyConfig.proxyMetadata = proxyMetadata;

  const hold = podRaw.holdApplicationUntilProxyStarts;
  const configMode = podRaw.interceptionMode ?? mesh.defaultConfig.interceptionMode;
  const initArgv = spec.injectedInit
    ? [...(spec.injectedInit.command ?? []).slice(1), ...(spec.injectedInit.args ?? [])]
    : undefined;
  const mode =
    (initArgv && modeFromInitArgs(initArgv)) ??
    (annotations[INTERCEPTION_MODE] as InterceptionMode | undefined) ??
    (INTERCEPTION_MODES.includes(configMode as InterceptionMode)
      ? (configMode as InterceptionMode)
      : undefined) ??
    'REDIRECT';
  const plan: SidecarPlan = {
    interceptionMode: mode,
    holdApplicationUntilProxyStarts:
      (typeof hold === 'boolean' ? hold : mesh.defaultConfig.holdApplicationUntilProxyStarts) ||
      (!spec.alreadyInjected && values.global.proxy.holdApplicationUntilProxyStarts),
    privileged: spec.alreadyInjected
      ? spec.injectedProxy?.privileged === true
      : values.global.proxy.privileged,
    proxyMetadata,
    proxyConfig,
    // An injected pod shows what the webhook chose; otherwise the template decides it now.
    native: spec.alreadyInjected
      ? spec.injectedProxy?.restartAlways === true
      : nativeSidecarFor(annotations, nativeSidecars),
  };
  if (spec.injectedInit) plan.initArgs = spec.injectedInit.args ?? [];
  return plan;
}
