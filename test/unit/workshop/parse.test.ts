// The workshop format: workshop.yaml, chapters with front matter, `## ` steps and their fenced blocks; errors name file, line and field.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCheckBlock } from '../../../src-main/workshop/check-spec';
import { allSteps, parseWorkshop } from '../../../src-main/workshop/parse';
import { WORKSHOPS_DIR } from '../../../src-main/workshop/session';

const fence = '```';

function folder(files: Record<string, string>): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'ws-parse-')), 'demo');
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const manifest = 'title: Demo\ndescription: A demo.\nscenario: interception\n';
const chapter = [
  '---',
  'title: First chapter',
  '---',
  'Intro text.',
  '',
  '## Send a request',
  'Why it matters.',
  `${fence}sh`,
  'sidecar-lab exec sleep -- curl -s http://httpbin/get',
  fence,
  `${fence}yaml`,
  'shown: as prose',
  fence,
  `${fence}hint`,
  'Use curl.',
  fence,
  `${fence}solution`,
  'sidecar-lab exec sleep -- curl -s -o /dev/null http://httpbin/get',
  fence,
  `${fence}check`,
  'flow: { pod: sleep, to: "httpbin.default:80", verdict: intercepted, responseCode: 200 }',
  fence,
  '',
  '## Reset the log level',
  `${fence}state`,
  'apply: [extra.yaml]',
  'run: echo reset',
  fence,
  `${fence}solution`,
  'true',
  fence,
  `${fence}check`,
  '- counter: { pod: sleep, chain: ISTIO_OUTPUT, rule: "-A ISTIO_OUTPUT -j ISTIO_REDIRECT" }',
  '- command: { pod: sleep, container: istio-proxy, run: "curl -s localhost:15000/logging", expect: "debug" }',
  fence,
  '',
].join('\n');

describe('parseWorkshop', () => {
  it('reads the manifest, chapters in order, and each step with its blocks', () => {
    const dir = folder({ 'workshop.yaml': manifest, '01-first.md': chapter, 'extra.yaml': 'kind: ConfigMap\n' });
    const w = parseWorkshop(dir);
    expect(w).toMatchObject({ name: 'demo', title: 'Demo', scenario: 'interception' });
    expect(w.chapters.map((c) => [c.number, c.slug, c.title, c.intro])).toEqual([[1, 'first', 'First chapter', 'Intro text.']]);
    const [a, b] = allSteps(w);
    expect(a).toMatchObject({ id: '1.1', title: 'Send a request', hint: 'Use curl.', state: { apply: [], run: null } });
    expect(a.commands).toEqual(['sidecar-lab exec sleep -- curl -s http://httpbin/get']);
    expect(a.body).toContain('Why it matters.');
    expect(a.body).toContain('shown: as prose');
    expect(a.body).not.toContain('Use curl.');
    expect(a.checks).toEqual([{ kind: 'flow', pod: 'sleep', to: 'httpbin.default:80', verdict: 'intercepted', responseCode: 200 }]);
    expect(a.pos.line).toBe(6);
    expect(b.state).toEqual({ apply: [join(dir, 'extra.yaml')], run: 'echo reset' });
    expect(b.checks.map((c) => c.kind)).toEqual(['counter', 'command']);
    expect(b.checks[0]).toMatchObject({ table: 'nat', increased: true });
  });

  it('names the file and line of a bad check field', () => {
    const bad = chapter.replace('verdict: intercepted', 'verdict: sideways');
    const dir = folder({ 'workshop.yaml': manifest, '01-first.md': bad });
    expect(() => parseWorkshop(dir)).toThrow(`${join(dir, '01-first.md')}:21: flow.verdict: expected one of intercepted, bypassed, blocked, got "sideways"`);
  });

  it('names an unknown check kind, a missing solution, bad front matter and a bad manifest', () => {
    const unknown = chapter.replace('- command:', '- commando:');
    expect(() => parseWorkshop(folder({ 'workshop.yaml': manifest, '01-first.md': unknown }))).toThrow(/01-first\.md:34: check: unknown kind commando/);
    const noSolution = chapter.replace(`${fence}solution\ntrue\n${fence}\n`, '');
    expect(() => parseWorkshop(folder({ 'workshop.yaml': manifest, '01-first.md': noSolution }))).toThrow(/01-first\.md:24: step "Reset the log level": no `solution` block/);
    expect(() => parseWorkshop(folder({ 'workshop.yaml': manifest, '01-first.md': chapter.replace('title: First chapter', 'titel: x') }))).toThrow(/01-first\.md:2: front matter: titel: unknown field/);
    expect(() => parseWorkshop(folder({ 'workshop.yaml': 'title: Demo\nscenario: interception\n', '01-first.md': chapter }))).toThrow(/workshop\.yaml:1: description: required/);
    expect(() => parseWorkshop(folder({ 'workshop.yaml': `${manifest}level: 3\n`, '01-first.md': chapter }))).toThrow(/workshop\.yaml:4: level: unknown field/);
    expect(() => parseWorkshop(folder({ 'workshop.yaml': manifest, '1-first.md': chapter }))).toThrow(/1-first\.md:1: chapter files are named NN-slug\.md/);
    const missingState = chapter.replace('extra.yaml', 'nowhere.yaml');
    expect(() => parseWorkshop(folder({ 'workshop.yaml': manifest, '01-first.md': missingState }))).toThrow(/state\.apply\[0\]: nowhere\.yaml is not a file in the workshop folder/);
  });

  it('parses the built-in traffic-flow workshop', () => {
    const w = parseWorkshop(join(WORKSHOPS_DIR, 'traffic-flow'));
    expect(w.scenario).toBe('interception');
    expect(allSteps(w).length).toBeGreaterThanOrEqual(12);
    for (const s of allSteps(w)) expect(s.checks.length).toBeGreaterThan(0);
  });
});

describe('parseCheckBlock', () => {
  const at = { file: 'ch.md', line: 10 };
  it('reads every check kind with its defaults', () => {
    const checks = parseCheckBlock(
      [
        '- counter: { pod: httpbin, chain: ISTIO_IN_REDIRECT, rule: "-A ISTIO_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006", increased: false }',
        '- object: { kind: configmap, name: istio, namespace: istio-system, jsonpath: "{.data.mesh}", matches: ALLOW_ANY }',
        '- file: { path: out.yaml, kind: Deployment, jsonpath: "{.spec.template.spec.initContainers[*].name}", equals: istio-init }',
        '- accessLog: { pod: sleep, expect: " 502 " }',
      ].join('\n'),
      at,
    );
    expect(checks).toEqual([
      { kind: 'counter', pod: 'httpbin', namespace: undefined, table: 'nat', chain: 'ISTIO_IN_REDIRECT', rule: '-A ISTIO_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006', increased: false },
      { kind: 'object', resource: 'configmap', name: 'istio', selector: undefined, namespace: 'istio-system', jsonpath: '{.data.mesh}', equals: undefined, matches: 'ALLOW_ANY' },
      { kind: 'file', path: 'out.yaml', objectKind: 'Deployment', jsonpath: '{.spec.template.spec.initContainers[*].name}', equals: 'istio-init', matches: undefined },
      { kind: 'accessLog', pod: 'sleep', namespace: undefined, expect: ' 502 ' },
    ]);
  });

  it('names the line and field at fault', () => {
    expect(() => parseCheckBlock('flow:\n  pod: sleep\n  to: nowhere\n', at)).toThrow('ch.md:13: flow.to: expected ADDRESS:PORT, :PORT or SERVICE.NAMESPACE:PORT, got nowhere');
    expect(() => parseCheckBlock('counter: { pod: sleep, chain: ISTIO_OUTPUT, rule: "-A OUTPUT -j X" }', at)).toThrow('ch.md:11: counter.rule: expected "-A ISTIO_OUTPUT …"');
    expect(() => parseCheckBlock('counter: { pod: sleep, rule: "-A X" }', at)).toThrow('ch.md:11: counter.chain: required');
    expect(() => parseCheckBlock('command:\n  pod: sleep\n  run: ls\n  expect: "("\n', at)).toThrow(/ch\.md:14: command\.expect: not a regular expression/);
    expect(() => parseCheckBlock('command:\n  pod: sleep\n  run: ls\n', at)).toThrow('ch.md:11: command: needs expect (a regular expression) or exitCode');
    expect(() => parseCheckBlock('flow:\n  pod: sleep\n  colour: red\n', at)).toThrow(/ch\.md:13: flow\.colour: unknown field/);
    expect(() => parseCheckBlock('object: { kind: pod, name: x, jsonpath: ".a", equals: b }', at)).toThrow(/object\.jsonpath: expected kubectl's form/);
    expect(() => parseCheckBlock('flow: [\n', at)).toThrow(/ch\.md:1\d: bad YAML in the check/);
    expect(() => parseCheckBlock('object: { kind: pods, jsonpath: "{.a}", equals: b }', at)).toThrow('ch.md:11: object: needs name or selector (one of them)');
  });

  it('reads an object check over the objects a label selector picks', () => {
    expect(parseCheckBlock('object: { kind: pods, namespace: shop, selector: app=web, jsonpath: "{.items[*].spec.containers[*].name}", matches: istio-proxy }', at)).toEqual([
      { kind: 'object', resource: 'pods', name: undefined, selector: 'app=web', namespace: 'shop', jsonpath: '{.items[*].spec.containers[*].name}', equals: undefined, matches: 'istio-proxy' },
    ]);
  });
});
