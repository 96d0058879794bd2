// authorization.k8s.io's SelfSubjectAccessReview: a create-only kind that answers "may I?" and stores nothing.
import type { KindDescriptor } from './descriptor';

export const selfsubjectaccessreviews: KindDescriptor = {
  group: 'authorization.k8s.io',
  resource: 'selfsubjectaccessreviews',
  versions: ['v1'],
  kind: 'SelfSubjectAccessReview',
  singular: 'selfsubjectaccessreview',
  namespaced: false,
  verbs: ['create'],
  readOnlyReason: 'a review is answered, not stored',
  // Never listed: kube-apiserver has no table for reviews, and neither does the lab.
  printer: { columns: [], row: () => [] },
};
