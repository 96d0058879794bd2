// istioctl's root flags that every command accepts; the ones needing a real cluster's kubeconfig are refused by name.
import type { FlagSpec } from './flags';

export const GLOBAL_FLAGS: FlagSpec[] = [
  { name: 'namespace', short: 'n', kind: 'string' },
  { name: 'istioNamespace', short: 'i', kind: 'string' },
  { name: 'kubeconfig', short: 'c', kind: 'string', unimplemented: true },
  { name: 'context', kind: 'string', unimplemented: true },
  { name: 'vklog', kind: 'int', unimplemented: true },
];
