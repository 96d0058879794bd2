// A container's effective user and groups, merged from the pod's securityContext as kubelet merges them.
import type { ContainerSpec, PodSpec } from '../scenario/types';

export interface EffectiveSecurity {
  runAsUser?: number;
  runAsGroup?: number;
  /** fsGroup, then supplementalGroups: the extra groups of the container's first process. */
  groups: number[];
}

/** The container's own runAsUser/runAsGroup win over the pod's; the pod's groups apply to every container. */
export function effectiveSecurity(pod: Pick<PodSpec, 'runAsUser' | 'runAsGroup' | 'fsGroup' | 'supplementalGroups'>, c: Pick<ContainerSpec, 'runAsUser' | 'runAsGroup'>): EffectiveSecurity {
  const out: EffectiveSecurity = { groups: [] };
  const uid = c.runAsUser ?? pod.runAsUser;
  const gid = c.runAsGroup ?? pod.runAsGroup;
  if (uid !== undefined) out.runAsUser = uid;
  if (gid !== undefined) out.runAsGroup = gid;
  for (const g of [...(pod.fsGroup !== undefined ? [pod.fsGroup] : []), ...(pod.supplementalGroups ?? [])]) {
    if (!out.groups.includes(g)) out.groups.push(g);
  }
  return out;
}

/**
 * Docker's `User` for it. Without runAsUser the image's own user runs (kubelet reads it from the
 * image, root when it names none); with runAsUser alone the runtime takes that uid's group from
 * the image's /etc/passwd, else 0, as Docker does too. Undefined: the image's user as it is.
 */
export function dockerUser(sec: EffectiveSecurity, imageUser: string): string | undefined {
  if (sec.runAsUser !== undefined) return sec.runAsGroup !== undefined ? `${sec.runAsUser}:${sec.runAsGroup}` : String(sec.runAsUser);
  if (sec.runAsGroup === undefined) return undefined;
  return `${imageUser.split(':')[0] || '0'}:${sec.runAsGroup}`;
}
