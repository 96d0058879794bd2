// ValidatePodUpdate's rule as the lab applies it: which spec changes a pod update may make, and the field and message of each refusal.
import { describe, expect, it } from 'vitest';
import { POD_UPDATE_FORBIDDEN, podUpdateProblems } from '../../../src-main/lab/api/pod-update';

const spec = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  nodeName: 'node',
  containers: [{ name: 'app', image: 'demo', args: ['--port', '80'] }, { name: 'istio-proxy', image: 'proxyv2' }],
  initContainers: [{ name: 'istio-init', image: 'proxyv2' }],
  ephemeralContainers: [{ name: 'tap', image: 'tap' }],
  ...over,
});
const fields = (next: Record<string, unknown>, old = spec()): string[] => podUpdateProblems(next, old).map((p) => `${p.field}: ${p.message.split('\n')[0]}`);

describe('podUpdateProblems', () => {
  it('allows new images of containers and init containers, ephemeral containers, and nil-equals-empty', () => {
    expect(fields(spec({ containers: [{ name: 'app', image: 'other', args: ['--port', '80'] }, { name: 'istio-proxy', image: 'proxyv2' }] }))).toEqual([]);
    expect(fields(spec({ initContainers: [{ name: 'istio-init', image: 'other' }] }))).toEqual([]);
    expect(fields(spec({ ephemeralContainers: [{ name: 'tap', image: 'tap' }, { name: 'debugger', image: 'busybox' }] }))).toEqual([]);
    expect(fields(spec({ volumes: [] }))).toEqual([]);
  });

  it('refuses any other change with the server message and a diff naming the field', () => {
    const [problem] = podUpdateProblems(spec({ containers: [{ name: 'app', image: 'demo', args: ['--port', '81'] }, { name: 'istio-proxy', image: 'proxyv2' }] }), spec());
    expect(problem.field).toBe('spec');
    expect(problem.reason).toBe('FieldValueForbidden');
    expect(problem.message).toBe(`Forbidden: ${POD_UPDATE_FORBIDDEN}\n- spec.containers[0].args[1]: "80"\n+ spec.containers[0].args[1]: "81"`);
    expect(fields(spec({ restartPolicy: 'Never' }))).toEqual([`spec: Forbidden: ${POD_UPDATE_FORBIDDEN}`]);
  });

  it('refuses added or removed containers and empty images', () => {
    expect(fields(spec({ containers: [{ name: 'app', image: 'demo' }] }))).toEqual(['spec.containers: Forbidden: pod updates may not add or remove containers']);
    expect(fields(spec({ containers: [{ name: 'app', image: '', args: ['--port', '80'] }, { name: 'istio-proxy', image: ' proxyv2' }] }))).toEqual([
      'spec.containers[0].image: Required value',
      'spec.containers[1].image: Invalid value: " proxyv2": must not have leading or trailing whitespace',
    ]);
  });

  it('lets activeDeadlineSeconds be set or lowered, never raised or removed', () => {
    expect(fields(spec({ activeDeadlineSeconds: 30 }))).toEqual([]);
    expect(fields(spec({ activeDeadlineSeconds: 10 }), spec({ activeDeadlineSeconds: 30 }))).toEqual([]);
    expect(fields(spec({ activeDeadlineSeconds: 60 }), spec({ activeDeadlineSeconds: 30 }))).toEqual(['spec.activeDeadlineSeconds: Invalid value: 60: must be less than or equal to previous value']);
    expect(fields(spec(), spec({ activeDeadlineSeconds: 30 }))).toEqual(['spec.activeDeadlineSeconds: Invalid value: null: must not update from a positive integer to nil value']);
    expect(fields(spec({ activeDeadlineSeconds: -1 }))).toEqual(['spec.activeDeadlineSeconds: Invalid value: -1: must be between 0 and 2147483647, inclusive']);
  });

  it('lets tolerations be added (and their tolerationSeconds change), not removed or changed', () => {
    const t = { key: 'k', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 };
    expect(fields(spec({ tolerations: [t, { key: 'x', operator: 'Exists' }] }), spec({ tolerations: [t] }))).toEqual([]);
    expect(fields(spec({ tolerations: [{ ...t, tolerationSeconds: 5 }] }), spec({ tolerations: [t] }))).toEqual([]);
    expect(fields(spec({ tolerations: [] }), spec({ tolerations: [t] }))).toEqual(['spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds']);
  });

  it('lets terminationGracePeriodSeconds go from a negative value to 1 only', () => {
    expect(fields(spec({ terminationGracePeriodSeconds: 1 }), spec({ terminationGracePeriodSeconds: -1 }))).toEqual([]);
    expect(fields(spec({ terminationGracePeriodSeconds: 5 }), spec({ terminationGracePeriodSeconds: 30 }))).toEqual([`spec: Forbidden: ${POD_UPDATE_FORBIDDEN}`]);
  });
});
