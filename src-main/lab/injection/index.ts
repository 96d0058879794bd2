// Public API of the injection logic: istio-init's arguments for a pod, the injector's values, the injected pod.
export {
  ANNOTATIONS,
  InjectionError,
  excludeInboundPort,
  validateAnnotations,
} from './annotations';
export type { ContainerLike, InjectorResult, MeshDefaults, PodLike } from './injector';
export { formatArgsLine, injectorArgs, meshDefaultsFromValues, shellQuote } from './injector';
export type { InjectorValues, ValuesProblem } from './values';
export { defaultInjectorValues, readInjectorValues } from './values';
export type { WorkloadPod } from './workload';
export { WORKLOAD_KINDS, podTemplateOf } from './workload';
export type { KubeContainer, KubePod } from './kube-types';
export type { MeshLike, RenderOptions } from './render';
export { renderInjectedPod, renderInjectedWorkload } from './render';
