// Pods and Deployments: metadata, pod template, replicas, selector, Istio annotations.
import { checkPodAnnotations } from './annotations';
import { readPodSpec } from './pod-spec';
import type {
  DeploymentObject,
  LabelSelector,
  LabelSelectorRequirement,
  Labels,
  ObjectMeta,
  PodObject,
} from './types';
import { type FieldRule, type Reader } from './validate';

/** The lab starts real containers for every replica; more than this is almost surely a typo. */
export const MAX_REPLICAS = 100;

const PENDING = { inject: false, reason: 'not decided yet' };

export function readPod(
  r: Reader,
  obj: Record<string, unknown>,
  meta: ObjectMeta,
): PodObject | undefined {
  checkPodAnnotations(r, '/metadata', meta.labels, meta.annotations);
  const spec = readPodSpec(r, obj.spec, '/spec');
  if (!spec) return undefined;
  return { kind: 'Pod', ...meta, spec, injection: PENDING, source: r.src };
}

const DEPLOYMENT_FIELDS: Record<string, FieldRule> = {
  replicas: 'model',
  selector: 'model',
  template: 'model',
  strategy: 'silent',
  minReadySeconds: 'silent',
  revisionHistoryLimit: 'silent',
  progressDeadlineSeconds: 'silent',
  paused: (v) => (v === true ? 'the lab starts every replica' : 'silent'),
};

const TEMPLATE_META_FIELDS: Record<string, FieldRule> = {
  labels: 'model',
  annotations: 'model',
  name: 'silent',
  namespace: 'silent',
  generateName: 'silent',
  creationTimestamp: 'silent',
};

const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

function readSelector(r: Reader, value: unknown, path: string): LabelSelector | undefined {
  const sel = r.map(value, path, 'selector');
  if (!sel) {
    r.error(path.slice(0, path.lastIndexOf('/')), 'spec.selector is required');
    return undefined;
  }
  r.fields(sel, path, { matchLabels: 'model', matchExpressions: 'model' });
  const matchLabels = r.stringMap(sel.matchLabels, `${path}/matchLabels`, 'selector');
  const matchExpressions: LabelSelectorRequirement[] = [];
  r.list(sel.matchExpressions, `${path}/matchExpressions`, 'matchExpressions').forEach((raw, i) => {
    const p = `${path}/matchExpressions/${i}`;
    const e = r.map(raw, p, `matchExpressions[${i}]`);
    if (!e) return;
    r.fields(e, p, { key: 'model', operator: 'model', values: 'model' });
    const key = r.requiredString(e, 'key', p, 'key');
    const operator = r.requiredString(e, 'operator', p, 'operator');
    const values = r.stringList(e.values, `${p}/values`, 'values') ?? [];
    if (operator !== undefined && !OPERATORS.includes(operator)) {
      r.error(
        `${p}/operator`,
        `operator must be In, NotIn, Exists or DoesNotExist, got "${operator}"`,
      );
    } else if (key !== undefined && operator !== undefined) {
      const needsValues = operator === 'In' || operator === 'NotIn';
      if (needsValues !== values.length > 0) {
        r.error(
          p,
          needsValues
            ? `operator ${operator} needs values`
            : `operator ${operator} takes no values`,
        );
      }
      matchExpressions.push({
        key,
        operator: operator as LabelSelectorRequirement['operator'],
        values,
      });
    }
  });
  if (Object.keys(matchLabels).length === 0 && matchExpressions.length === 0) {
    r.error(path, 'an empty selector is invalid for a Deployment');
    return undefined;
  }
  return { matchLabels, matchExpressions };
}

export function selectorMatches(sel: LabelSelector, labels: Labels): boolean {
  const labelsOk = Object.entries(sel.matchLabels).every(([k, v]) => labels[k] === v);
  return (
    labelsOk &&
    sel.matchExpressions.every((e) => {
      const has = Object.prototype.hasOwnProperty.call(labels, e.key);
      if (e.operator === 'Exists') return has;
      if (e.operator === 'DoesNotExist') return !has;
      if (e.operator === 'In') return has && e.values.includes(labels[e.key]);
      return !has || !e.values.includes(labels[e.key]);
    })
  );
}

export function readDeployment(
  r: Reader,
  obj: Record<string, unknown>,
  meta: ObjectMeta,
): DeploymentObject | undefined {
  const spec = r.map(obj.spec, '/spec', 'spec');
  if (!spec) {
    r.error('', 'spec with a pod template is required');
    return undefined;
  }
  r.fields(spec, '/spec', DEPLOYMENT_FIELDS);
  const replicas =
    spec.replicas === undefined || spec.replicas === null
      ? 1
      : r.int(spec.replicas, '/spec/replicas', 'replicas', 0, MAX_REPLICAS);
  const selector = readSelector(r, spec.selector, '/spec/selector');
  const template = r.map(spec.template, '/spec/template', 'template');
  if (!template) {
    r.error('/spec', 'spec.template is required');
    return undefined;
  }
  r.fields(template, '/spec/template', { metadata: 'model', spec: 'model' });
  const tmeta = r.map(template.metadata, '/spec/template/metadata', 'template metadata') ?? {};
  r.fields(tmeta, '/spec/template/metadata', TEMPLATE_META_FIELDS);
  const labels = r.stringMap(tmeta.labels, '/spec/template/metadata/labels', 'labels');
  const annotations = r.stringMap(
    tmeta.annotations,
    '/spec/template/metadata/annotations',
    'annotations',
  );
  if (selector && !selectorMatches(selector, labels)) {
    const at = tmeta.labels ? '/spec/template/metadata/labels' : '/spec/template';
    r.error(at, `selector does not match template labels of ${r.object}`);
  }
  checkPodAnnotations(r, '/spec/template/metadata', labels, annotations);
  const podSpec = readPodSpec(r, template.spec, '/spec/template/spec');
  if (!podSpec || replicas === undefined || !selector) return undefined;
  return {
    kind: 'Deployment',
    ...meta,
    replicas,
    selector,
    template: { labels, annotations, spec: podSpec },
    injection: PENDING,
    source: r.src,
  };
}
