// istioctl's root flags that every command accepts: the kubeconfig, its context and the namespace; --vklog is refused by name.
import type { FlagSpec } from './flags';

export const GLOBAL_FLAGS: FlagSpec[] = [
  { name: 'namespace', short: 'n', kind: 'string' },
  { name: 'istioNamespace', short: 'i', kind: 'string' },
  { name: 'kubeconfig', short: 'c', kind: 'string' },
  { name: 'context', kind: 'string' },
  { name: 'vklog', kind: 'int', unimplemented: true },
];
