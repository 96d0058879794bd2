// Whether istio-proxy is injected as a Kubernetes native sidecar: istiod's ENABLE_NATIVE_SIDECARS, the nodes' kubelet versions, then the pod's annotation.

/** istiod's ENABLE_NATIVE_SIDECARS (pilot/pkg/features): `auto` by default since Istio 1.27. */
export type NativeSidecarMode = 'true' | 'false' | 'auto';

export const NATIVE_SIDECARS_ENV = 'ENABLE_NATIVE_SIDECARS';
export const DEFAULT_NATIVE_SIDECAR_MODE: NativeSidecarMode = 'auto';
/** The pod annotation the injection template reads over istiod's decision. */
export const NATIVE_SIDECAR_ANNOTATION = 'sidecar.istio.io/nativeSidecar';
/** `auto` needs every kubelet at 1.33 or later: native sidecars are stable (GA) from Kubernetes 1.33 on. */
export const NATIVE_SIDECAR_MIN_MINOR = 33;

/** The env var's value as istiod reads it; anything but the three words is undefined (istiod warns and uses false). */
export function parseNativeSidecarMode(value: string): NativeSidecarMode | undefined {
  return value === 'true' || value === 'false' || value === 'auto' ? value : undefined;
}

/**
 * The minor of a kubelet version as hashicorp/go-version reads it (`v1.33.1`, `1.34`,
 * `1.33.0-gke.100`); undefined when it is not a version.
 */
export function kubeletMinor(version: string): number | undefined {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:[-+].*)?$/.exec(version.trim());
  if (!m) return undefined;
  return m[2] === undefined ? 0 : Number(m[2]);
}

export interface NodeVersion {
  name: string;
  kubeletVersion: string;
}

/**
 * istiod's webhook decision (DetectNativeSidecar): `true` and `false` decide alone; `auto` looks at
 * the pod's node when it has one and the cluster knows it, else at every node: one kubelet older
 * than 1.33, or one whose version does not parse, turns it off, and so does a cluster without
 * nodes (mixed clusters stay classic).
 */
export function detectNativeSidecar(mode: NativeSidecarMode, nodes: NodeVersion[], podNodeName = ''): boolean {
  if (mode === 'false') return false;
  if (mode === 'true') return true;
  const supported = (n: NodeVersion): boolean => {
    const minor = kubeletMinor(n.kubeletVersion);
    return minor !== undefined && minor >= NATIVE_SIDECAR_MIN_MINOR;
  };
  if (podNodeName !== '') {
    const node = nodes.find((n) => n.name === podNodeName);
    if (node) return supported(node);
  }
  return nodes.length > 0 && nodes.every(supported);
}

/**
 * The injection template's `$nativeSidecar`: the pod's annotation when it is set and not empty,
 * else istiod's decision; native unless the result is exactly "false" (so "True" or "yes" is native).
 */
export function nativeSidecarFor(annotations: Record<string, string>, detected: boolean): boolean {
  const written = annotations[NATIVE_SIDECAR_ANNOTATION];
  const value = written !== undefined && written !== '' ? written : String(detected);
  return value !== 'false';
}
