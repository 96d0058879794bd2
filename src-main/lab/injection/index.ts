// Public API of the injection logic: istio-init's arguments for a pod, the injector's values, the injected pod.
export {
  ANNOTATIONS,
  InjectionError,
  excludeInboundPort,
  validateAnnotations,
} from './annotations';
export type { ContainerLike, InjectorResult, MeshDefaults, PodLike } from './injector';
export type { CniPodInfo, CniRedirect } from './cni-redirect';
export { cniPodInfoOf, cniRedirect, injectedForCni } from './cni-redirect';
export { formatArgsLine, injectorArgs, meshDefaultsFromValues, shellQuote } from './injector';
export type { InjectorValues, ValuesProblem } from './values';
export { cniEnabled, defaultInjectorValues, readInjectorValues } from './values';
export type { WorkloadPod } from './workload';
export { WORKLOAD_KINDS, podTemplateOf } from './workload';
export type { KubeContainer, KubePod } from './kube-types';
export type { MeshLike, RenderOptions } from './render';
export { renderInjectedPod, renderInjectedWorkload } from './render';
export type { NativeSidecarMode, NodeVersion } from './native-sidecars';
export {
  DEFAULT_NATIVE_SIDECAR_MODE,
  NATIVE_SIDECAR_ANNOTATION,
  NATIVE_SIDECAR_MIN_MINOR,
  NATIVE_SIDECARS_ENV,
  detectNativeSidecar,
  kubeletMinor,
  nativeSidecarFor,
  parseNativeSidecarMode,
} from './native-sidecars';
