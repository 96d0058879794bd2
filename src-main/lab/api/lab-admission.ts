// The Lab object written through the API is checked as `up` checks the Lab document: a bad kubernetesVersion or ENABLE_NATIVE_SIDECARS is a 422 naming the field, and the lab keeps what it had.
import { NATIVE_SIDECARS_ENV, parseNativeSidecarMode } from '../injection/native-sidecars';
import { kubernetesVersionError } from '../scenario/lab-doc';
import type { AdmissionPlugin } from './admission';
import { K } from './kinds';
import { isRecord } from './objects';
import { invalid, invalidValue, notSupported, type FieldProblem } from './status';

export const labAdmission: AdmissionPlugin = (request) => {
  if (request.kind !== K.labs || (request.operation !== 'CREATE' && request.operation !== 'UPDATE') || !request.object) return undefined;
  const spec = isRecord(request.object.spec) ? request.object.spec : {};
  const problems: FieldProblem[] = [];
  const version = spec.kubernetesVersion;
  if (version !== undefined && version !== null) {
    const err = typeof version === 'string' ? kubernetesVersionError(version) : 'kubernetesVersion must be a string';
    if (err) problems.push(invalidValue('spec.kubernetesVersion', version, err));
  }
  const istiod = isRecord(spec.istiod) ? spec.istiod : {};
  const env = isRecord(istiod.env) ? istiod.env : {};
  const mode = env[NATIVE_SIDECARS_ENV];
  if (mode !== undefined && mode !== null && !(typeof mode === 'boolean' || (typeof mode === 'string' && parseNativeSidecarMode(mode)))) {
    problems.push(notSupported(`spec.istiod.env.${NATIVE_SIDECARS_ENV}`, mode, ['true', 'false', 'auto']));
  }
  if (problems.length) throw invalid('Lab', K.labs.group, request.name, problems);
  return undefined;
};
