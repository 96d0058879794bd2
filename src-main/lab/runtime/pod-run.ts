// What the lab runs for one pod: its identity, network, sidecar settings and containers, as the plan or the kubelet derives them from the pod.
import type { PodIdentity } from '../api/pod-credentials';

export interface AppRun {
  name: string;
  image: string;
  /** The image the manifest named, when it is not on the machine and the demo image stands in. */
  replacedImage?: string;
  entrypoint?: string[];
  cmd?: string[];
  env: Record<string, string>;
  user?: string;
  /** Supplementary groups (the pod's fsGroup and supplementalGroups). */
  groupAdd?: string[];
  ports: number[];
}

export interface PodRun extends PodIdentity {
  lab: string;
  ip: string;
  nodeIP: string;
  resolvConf: string;
  etcHosts: string;
  /** Kubernetes labels of the pod, kept for status and selectors. */
  podLabels: Record<string, string>;
  sidecar: boolean;
  /** The istio-init arguments and environment; undefined without a sidecar or with interceptionMode NONE. */
  init?: { args: string[]; env: Record<string, string> };
  holdApplicationUntilProxyStarts: boolean;
  /** values.global.proxy.privileged: istio-proxy privileged, privilege escalation allowed (else no-new-privileges). */
  proxyPrivileged?: boolean;
  /** The sidecar's first configuration (JSON), as the control plane computed it. */
  proxyConfig?: string;
  interceptionMode?: string;
  apps: AppRun[];
  /** The app's init containers, in order; each runs to completion before the next. */
  inits: AppRun[];
  /** A native sidecar pod: istio-init, istio-proxy, then these; else these, then istio-init. */
  initsAfterProxy: boolean;
  /** Istio CNI mode: the rules (`init`) are written before the first init container, and no istio-init is left. */
  rulesBeforeInits?: boolean;
}

/** Why a pod stopped in its init phase, as `kubectl get pod` shows it. */
export interface InitStuck {
  container: string;
  exitCode: number;
}

/** The part a Docker container plays in a pod (its label), as `kubectl get pod` and the lab's status show it. */
export type PodContainerRole = 'pause' | 'cni' | 'init' | 'istio-init' | 'istio-proxy' | 'app' | 'tap';
