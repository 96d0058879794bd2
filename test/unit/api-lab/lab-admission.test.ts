// A Lab object written through the API with a bad kubernetesVersion or ENABLE_NATIVE_SIDECARS is refused with a 422 naming the field.
import { describe, expect, it } from 'vitest';
import { labAdmission } from '../../../src-main/lab/api/lab-admission';
import { K } from '../../../src-main/lab/api/kinds';
import type { KubeObject } from '../../../src-main/lab/api/objects';
import { ApiError } from '../../../src-main/lab/api/status';

const user = { user: 'admin', groups: [], readOnly: false };
const write = (spec: Record<string, unknown>) => {
  const object: KubeObject = { apiVersion: 'sidecarlab.dev/v1', kind: 'Lab', metadata: { name: 'demo' }, spec };
  return labAdmission({ operation: 'UPDATE', kind: K.labs, name: 'demo', object, dryRun: false, user });
};
const refusal = (spec: Record<string, unknown>): ApiError => {
  try {
    void write(spec);
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected an ApiError');
};

describe('labAdmission', () => {
  it('accepts a release from 1.29 on and true, false or auto', () => {
    expect(write({ kubernetesVersion: 'v1.34.2', istiod: { env: { ENABLE_NATIVE_SIDECARS: 'auto' } } })).toBeUndefined();
    expect(write({ istiod: { env: { ENABLE_NATIVE_SIDECARS: false } } })).toBeUndefined();
  });

  it('refuses a bad release and an unknown mode, naming each field', () => {
    const err = refusal({ kubernetesVersion: 'v1.20.0', istiod: { env: { ENABLE_NATIVE_SIDECARS: 'on' } } });
    expect(err.code).toBe(422);
    expect(err.message).toContain('spec.kubernetesVersion: Invalid value: "v1.20.0": kubernetesVersion must be v1.29.0 or later');
    expect(err.message).toContain('spec.istiod.env.ENABLE_NATIVE_SIDECARS: Unsupported value: "on": supported values: "true", "false", "auto"');
  });
});
