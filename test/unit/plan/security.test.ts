// Pod and container securityContext merged as kubelet merges them, and the Docker user that results.
import { describe, expect, it } from 'vitest';
import { dockerUser, effectiveSecurity } from '../../../src-main/lab/plan/security';

describe('effectiveSecurity', () => {
  it("gives every container the pod's runAsUser, runAsGroup and groups", () => {
    const pod = { runAsUser: 1000, runAsGroup: 1337, fsGroup: 2000, supplementalGroups: [3000, 2000] };
    expect(effectiveSecurity(pod, {})).toEqual({ runAsUser: 1000, runAsGroup: 1337, groups: [2000, 3000] });
  });

  it("lets the container's own fields win, one by one", () => {
    const pod = { runAsUser: 1000, runAsGroup: 1337, fsGroup: 2000 };
    expect(effectiveSecurity(pod, { runAsGroup: 0 })).toEqual({ runAsUser: 1000, runAsGroup: 0, groups: [2000] });
    expect(effectiveSecurity(pod, { runAsUser: 1337 })).toEqual({ runAsUser: 1337, runAsGroup: 1337, groups: [2000] });
    expect(effectiveSecurity({}, {})).toEqual({ groups: [] });
  });
});

describe('dockerUser', () => {
  it('writes uid:gid, or the uid alone for the runtime to pick its group', () => {
    expect(dockerUser({ runAsUser: 1000, runAsGroup: 1337, groups: [] }, 'nginx')).toBe('1000:1337');
    expect(dockerUser({ runAsUser: 1000, groups: [] }, 'nginx')).toBe('1000');
  });

  it("keeps the image's user for a runAsGroup alone (root when the image names none)", () => {
    expect(dockerUser({ runAsGroup: 1337, groups: [] }, '')).toBe('0:1337');
    expect(dockerUser({ runAsGroup: 1337, groups: [] }, 'nginx:nginx')).toBe('nginx:1337');
    expect(dockerUser({ groups: [2000] }, 'nginx')).toBeUndefined();
  });
});
