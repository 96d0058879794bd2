// Label keys, label values and annotation keys checked as apimachinery's IsQualifiedName and
// IsValidLabelValue check them (pkg/util/validation/validation_test.go), with their messages.
import { describe, expect, it } from 'vitest';
import { labelValueProblems, metadataProblems, qualifiedNameProblems } from '../../../src-main/lab/api/meta-validation';
import type { KubeObject } from '../../../src-main/lab/api/objects';

const NAME_PART_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

const pod = (labels: Record<string, string>, annotations?: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', labels, ...(annotations ? { annotations } : {}) },
});

describe('IsQualifiedName (label and annotation keys)', () => {
  it.each([
    'simple',
    'now-with-dashes',
    '1-starts-with-num',
    '1234',
    'simple/simple',
    'now-with-dashes/simple',
    'now-with-dashes/now-with-dashes',
    'now.with.dots/simple',
    'now-with.dashes-and.dots/simple',
    '1-num.2-num/3-num',
    '1234/5678',
    '1.2.3.4/5678',
    'Uppercase_Is_OK_123',
    'example.com/Uppercase_Is_OK_123',
    'requests.storage-foo',
    'a'.repeat(63),
    `${'a'.repeat(253)}/${'b'.repeat(63)}`,
  ])('accepts %s', (key) => {
    expect(qualifiedNameProblems(key)).toEqual([]);
  });

  it.each([
    'nospecialchars%^=@',
    'cantendwithadash-',
    '-cantstartwithadash-',
    'only/one/slash',
    'Example.com/abc',
    'example_com/abc',
    'example.com/',
    '/simple',
    'a'.repeat(64),
    `${'a'.repeat(254)}/abc`,
  ])('rejects %s', (key) => {
    expect(qualifiedNameProblems(key).length).toBeGreaterThan(0);
  });

  it('words each problem as apimachinery does', () => {
    expect(qualifiedNameProblems('cantendwithadash-')).toEqual([NAME_PART_MSG]);
    expect(qualifiedNameProblems('a'.repeat(64))).toEqual(['name part must be no more than 63 characters']);
    expect(qualifiedNameProblems(`${'a'.repeat(254)}/abc`)).toEqual(['prefix part must be no more than 253 characters']);
    expect(qualifiedNameProblems('/simple')).toEqual(['prefix part must be non-empty']);
    expect(qualifiedNameProblems('Example.com/abc')[0]).toMatch(/^prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters/);
    expect(qualifiedNameProblems('only/one/slash')[0]).toMatch(/^a qualified name must consist of .* with an optional DNS subdomain prefix and '\/' \(e\.g\. 'example\.com\/MyName'\)$/);
  });

  // IsQualifiedName checks the pattern even after an empty or too long name part.
  it('reports both problems of an empty name part, as IsQualifiedName does', () => {
    expect(qualifiedNameProblems('example.com/')).toEqual(['name part must be non-empty', NAME_PART_MSG]);
    expect(qualifiedNameProblems(`${'a'.repeat(63)}-`)).toEqual(['name part must be no more than 63 characters', NAME_PART_MSG]);
  });
});

describe('IsValidLabelValue', () => {
  it.each(['simple', 'now-with-dashes', '1-starts-with-num', 'end-with-num-1', '1234', 'a'.repeat(63), ''])('accepts %j', (value) => {
    expect(labelValueProblems(value)).toEqual([]);
  });

  it.each([
    'nospecialchars%^=@',
    'Tama-nui-te-rā.is.Māori.sun',
    '\\backslashes\\are\\bad',
    '-starts-with-dash',
    'ends-with-dash-',
    '.starts.with.dot',
    'ends.with.dot.',
  ])('rejects %j with the pattern message', (value) => {
    expect(labelValueProblems(value)).toEqual([LABEL_VALUE_MSG]);
  });

  it('reports length and pattern separately, both when both fail', () => {
    expect(labelValueProblems('a'.repeat(64))).toEqual(['must be no more than 63 characters']);
    expect(labelValueProblems(`${'a'.repeat(64)}-`)).toEqual(['must be no more than 63 characters', LABEL_VALUE_MSG]);
  });
});

describe('metadata problems as field errors', () => {
  it('names metadata.labels with the bad key or value, quoted as field.Invalid prints it', () => {
    expect(metadataProblems(pod({ 'app/': 'x', tier: 'bad value' }))).toEqual([
      { field: 'metadata.labels', reason: 'FieldValueInvalid', message: 'Invalid value: "app/": name part must be non-empty' },
      { field: 'metadata.labels', reason: 'FieldValueInvalid', message: `Invalid value: "app/": ${NAME_PART_MSG}` },
      { field: 'metadata.labels', reason: 'FieldValueInvalid', message: `Invalid value: "bad value": ${LABEL_VALUE_MSG}` },
    ]);
  });

  it('checks annotation keys lower-cased, as ValidateAnnotations does, and not their values', () => {
    expect(metadataProblems(pod({}, { 'Example.COM/Key': 'any value at all: ✓' }))).toEqual([]);
    const problems = metadataProblems(pod({}, { 'bad key': 'v' }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ field: 'metadata.annotations', message: `Invalid value: "bad key": ${NAME_PART_MSG}` });
  });

  it('finds nothing wrong with the labels kubectl and Istio set', () => {
    expect(
      metadataProblems(
        pod(
          { app: 'reviews', version: 'v1', 'security.istio.io/tlsMode': 'istio', 'service.istio.io/canonical-name': 'reviews', 'pod-template-hash': '5b9f6c7d8' },
          { 'kubectl.kubernetes.io/restartedAt': '2026-12-07T10:00:00Z', 'sidecar.istio.io/status': '{"initContainers":["istio-init"]}' },
        ),
      ),
    ).toEqual([]);
  });
});
