// istioctl kube-inject's command line: multi-document files, the kinds, skips and warnings, config files, -o, and its errors.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { main } from '../../../src-main/cli/main';

const dir = mkdtempSync(path.join(tmpdir(), 'kube-inject-cli-'));
function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}
const EMPTY = file('empty.yaml', '');

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io = { out: (t: string) => (out += t), err: (t: string) => (err += t), verbose: false };
  const code = await main(['istioctl', 'kube-inject', ...args], io);
  return { code, out, err };
}
/** With the config files given, so that no "no cluster" warning is printed. */
const inject = (f: string, ...extra: string[]) =>
  cli(['-f', f, '--meshConfigFile', EMPTY, '--valuesFile', EMPTY, ...extra]);

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const docs = (text: string): Obj[] => parseAllDocuments(text).map((d) => d.toJS() as Obj);
const names = (cs?: { name: string }[]) => (cs ?? []).map((c) => c.name);
const proxyEnv = (pod: Obj): Record<string, string> =>
  Object.fromEntries(
    (pod.spec.containers as Obj[])
      .find((c) => c.name === 'istio-proxy')!
      .env.map((e: Obj) => [e.name, e.value]),
  );

const SERVICE = `# a comment before everything
apiVersion: v1
kind: Service
metadata:
  name: web   # a trailing comment, kept: the document is passed through as it was read
spec:
  ports:
  - port: 80
`;
const deployment = (extra = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}${extra}
    spec:
      containers:
      - name: web
        image: nginx
        resources:
          requests: {cpu: 0.5, memory: 1024Mi}
`;

describe('kube-inject -f FILE', () => {
  it('injects every workload of a multi-document file and passes other documents through unchanged', async () => {
    const f = file(
      'multi.yaml',
      `${SERVICE}---\n${deployment()}---\n# only a comment\n---\napiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: old}\n`,
    );
    const r = await inject(f);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const parts = r.out.split(/^---\n/m);
    expect(parts).toHaveLength(5);
    expect(parts[0]).toBe(SERVICE);
    expect(parts[2]).toBe('# only a comment\n');
    // apps/v1 only: an old API version is not in istioctl's scheme and is left alone.
    expect(parts[3]).toBe(
      'apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: old}\n',
    );
    expect(parts[4]).toBe('');
    const [dep] = docs(parts[1]);
    expect(names(dep.spec.template.spec.containers)).toEqual(['web', 'istio-proxy']);
    expect(names(dep.spec.template.spec.initContainers)).toEqual(['istio-init']);
    expect(dep.spec.strategy).toEqual({});
    expect(dep.status).toEqual({});
    // Quantities as Go's resource.Quantity prints them.
    expect(dep.spec.template.spec.containers[0].resources).toEqual({
      requests: { cpu: '500m', memory: '1Gi' },
    });
    expect(proxyEnv(dep.spec.template).ISTIO_META_OWNER).toBe(
      'kubernetes://apis/apps/v1/namespaces/shop/deployments/web',
    );
    // sigs.k8s.io/yaml: keys sorted, no creationTimestamp (omitzero in current Kubernetes types).
    expect(
      parts[1].startsWith(
        'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n',
      ),
    ).toBe(true);
    expect(r.out).not.toContain('creationTimestamp');
  });

  it('injects the pod templates of CronJob, Job, StatefulSet, DaemonSet, ReplicaSet and ReplicationController, with their Go status fields', async () => {
    const tpl = (indent: string) =>
      [
        'template:',
        '  metadata: {labels: {app: a}}',
        '  spec:',
        '    containers: [{name: a, image: busybox}]',
      ]
        .map((l) => indent + l)
        .join('\n');
    const f = file(
      'kinds.yaml',
      [
        `apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: tick}\nspec:\n  schedule: "*/5 * * * *"\n  jobTemplate:\n    spec:\n${tpl('      ')}\n`,
        `apiVersion: batch/v1\nkind: Job\nmetadata: {name: once}\nspec:\n${tpl('  ')}\n`,
        `apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\nspec:\n  serviceName: db\n${tpl('  ')}\n`,
        `apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent}\nspec:\n${tpl('  ')}\n`,
        `apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: rs}\nspec:\n${tpl('  ')}\n`,
        `apiVersion: v1\nkind: ReplicationController\nmetadata: {name: rc}\nspec:\n${tpl('  ')}\n`,
      ].join('---\n'),
    );
    const r = await inject(f);
    expect(r.code).toBe(0);
    const [cron, job, sts, ds, rs, rc] = docs(r.out);
    const podOf = (d: Obj) =>
      d.kind === 'CronJob' ? d.spec.jobTemplate.spec.template : d.spec.template;
    for (const d of [cron, job, sts, ds, rs, rc]) {
      expect(names(podOf(d).spec.containers), d.kind).toEqual(['a', 'istio-proxy']);
      expect(proxyEnv(podOf(d)).ISTIO_META_WORKLOAD_NAME, d.kind).toBe(d.metadata.name);
    }
    expect(proxyEnv(podOf(cron)).ISTIO_META_OWNER).toBe(
      'kubernetes://apis/batch/v1/namespaces/default/cronjobs/tick',
    );
    expect(cron.spec.jobTemplate.metadata).toEqual({});
    expect(cron.status).toEqual({});
    expect(job.status).toEqual({});
    expect(sts.spec.updateStrategy).toEqual({});
    expect(sts.status).toEqual({ availableReplicas: 0, replicas: 0 });
    expect(ds.status).toEqual({
      currentNumberScheduled: 0,
      desiredNumberScheduled: 0,
      numberMisscheduled: 0,
      numberReady: 0,
    });
    expect(rs.status).toEqual({ replicas: 0 });
    expect(rc.status).toEqual({ replicas: 0 });
  });

  it('injects the items of a v1 List; an OpenShift DeploymentConfig is refused by name', async () => {
    const list = file(
      'list.yaml',
      `apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: s}\n` +
        `- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: d}\n  spec:\n    template:\n      spec: {containers: [{name: a, image: b}]}\n`,
    );
    const [doc] = docs((await inject(list)).out);
    expect(doc.items[0]).toEqual({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' } });
    expect(names(doc.items[1].spec.template.spec.containers)).toEqual(['a', 'istio-proxy']);
    expect(doc.items[1].status).toEqual({});
    const dc = file(
      'dc.yaml',
      'apiVersion: apps.openshift.io/v1\nkind: DeploymentConfig\nmetadata: {name: d}\n',
    );
    const r = await inject(dc);
    expect(r.code).toBe(64);
    expect(r.err).toContain(
      'kube-inject of apps.openshift.io/v1 DeploymentConfig is not implemented',
    );
  });

  it("skips hostNetwork and sidecar.istio.io/inject=false workloads with istioctl's warnings on stderr", async () => {
    const f = file(
      'skip.yaml',
      `${deployment().replace('    spec:\n', '    spec:\n      hostNetwork: true\n')}---\n${deployment('\n      annotations: {sidecar.istio.io/inject: "false"}').replace('name: web\n  namespace', 'name: quiet\n  namespace')}`,
    );
    const r = await inject(f);
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('istio-proxy');
    expect(r.err).toBe(
      '\n===> Skipping injection because Deployment "shop/web" has host networking enabled\n\n' +
        '===> Skipping injection because Deployment "shop/quiet" has sidecar injection disabled\n\n',
    );
  });

  it('injects an injected file afresh, as istioctl does: new settings apply, nothing is doubled', async () => {
    const once = (await inject(file('again.yaml', deployment()))).out;
    expect(once).toContain('name: istio-proxy');
    const again = await inject(file('again-injected.yaml', once), '--revision', 'canary');
    const pod = docs(again.out)[0].spec.template;
    expect(pod.metadata.annotations['istio.io/rev']).toBe('canary');
    expect(names(pod.spec.containers)).toEqual(['web', 'istio-proxy']);
    expect(names(pod.spec.initContainers)).toEqual(['istio-init']);
    const volumes = names(pod.spec.volumes);
    expect(new Set(volumes).size).toBe(volumes.length);
    // With the same settings a second run changes nothing.
    expect((await inject(file('again-same.yaml', once))).out).toBe(once);
  });

  it("a missing input file is named as Go's os.Open names it", async () => {
    const r = await cli([
      '-f',
      path.join(dir, 'missing.yaml'),
      '--meshConfigFile',
      EMPTY,
      '--valuesFile',
      EMPTY,
    ]);
    expect(r).toEqual({
      code: 1,
      out: '',
      err: `Error: open ${path.join(dir, 'missing.yaml')}: no such file or directory\n`,
    });
  });

  it('-o FILE writes the output there, and a bad document leaves an existing FILE as it was', async () => {
    const target = path.join(dir, 'out.yaml');
    const ok = await inject(file('o.yaml', deployment()), '-o', target);
    expect(ok).toEqual({ code: 0, out: '', err: '' });
    const written = readFileSync(target, 'utf8');
    expect(written).toContain('name: istio-proxy');
    const bad = await inject(file('o-bad.yaml', `${deployment()}---\nkind: [\n`), '-o', target);
    expect(bad.code).toBe(1);
    expect(readFileSync(target, 'utf8')).toBe(written);
  });
});

describe('kube-inject config files', () => {
  it('--meshConfigFile: interceptionMode and proxyMetadata reach istio-init and istio-proxy', async () => {
    const mesh = file(
      'mesh.yaml',
      'defaultConfig:\n  interceptionMode: TPROXY\n  proxyMetadata:\n    DNS_CAPTURE: "true"\n',
    );
    const r = await cli([
      '-f',
      file('d.yaml', deployment()),
      '--meshConfigFile',
      mesh,
      '--valuesFile',
      EMPTY,
    ]);
    const [dep] = docs(r.out);
    const init = dep.spec.template.spec.initContainers[0];
    expect(init.args.slice(init.args.indexOf('-m'), init.args.indexOf('-m') + 2)).toEqual([
      '-m',
      'TPROXY',
    ]);
    expect(init.env).toEqual([{ name: 'DNS_CAPTURE', value: 'true' }]);
    expect(proxyEnv(dep.spec.template).ISTIO_META_INTERCEPTION_MODE).toBe('TPROXY');
  });

  it("--injectConfigFile: the istio-sidecar-injector ConfigMap's data.values apply; its template is said to be Istio's own", async () => {
    const cm = file(
      'injector.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio-sidecar-injector, namespace: istio-system}\ndata:\n' +
        '  config: "policy: enabled\\ntemplates:\\n  sidecar: |\\n    spec: {}\\n"\n' +
        '  values: \'{"global":{"hub":"registry.example/istio","tag":"1.22.0","proxy":{"excludeIPRanges":"10.0.0.0/8"}}}\'\n',
    );
    const r = await cli([
      '-f',
      file('i.yaml', deployment()),
      '--meshConfigFile',
      EMPTY,
      '--injectConfigFile',
      cm,
    ]);
    expect(r.code).toBe(0);
    const [dep] = docs(r.out);
    const init = dep.spec.template.spec.initContainers[0];
    expect(init.image).toBe('registry.example/istio/proxyv2:1.22.0');
    expect(init.args[init.args.indexOf('-x') + 1]).toBe('10.0.0.0/8');
    expect(r.err).toMatch(
      /^\S+Z\twarn\tthe lab renders Istio's own "sidecar" injection template; the template text in \S+injector.yaml is not interpreted\n$/,
    );
  });

  it('without config files: Istio defaults, and a warning on stderr that no cluster was read', async () => {
    const r = await cli(['-f', file('n.yaml', deployment())]);
    expect(r.code).toBe(0);
    expect(docs(r.out)[0].spec.template.spec.initContainers[0].image).toBe(
      'docker.io/istio/proxyv2:latest',
    );
    expect(r.err).toMatch(
      /^\d{4}-\d\d-\d\dT[\d:.]+Z\twarn\tno cluster to read ConfigMaps from: using Istio's default mesh config \(--meshConfigFile\) and injector values \(--valuesFile\)\n$/,
    );
  });

  it('--revision canary is written to istio.io/rev and the status', async () => {
    const r = await inject(file('r.yaml', deployment()), '--revision', 'canary');
    const ann = docs(r.out)[0].spec.template.metadata.annotations;
    expect(ann['istio.io/rev']).toBe('canary');
    expect(JSON.parse(ann['sidecar.istio.io/status']).revision).toBe('canary');
  });
});

describe('kube-inject errors name the file, document and line', () => {
  it('bad YAML', async () => {
    const f = file(
      'bad.yaml',
      `${SERVICE}---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n  labels: [a\n`,
    );
    const r = await inject(f);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toBe(
      `Error: ${f}: document 2 (line 14): yaml: Flow sequence in block collection must be sufficiently indented and end with a ]\n`,
    );
  });

  it('a workload without a pod template', async () => {
    const f = file(
      'notpl.yaml',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replicas: 1\n',
    );
    expect((await inject(f)).err).toBe(
      `Error: ${f}: document 1 (line 5): Deployment "x": spec.template is required value (a Deployment needs a pod template to inject into)\n`,
    );
  });

  it('an annotation the injector refuses, and a number where Go wants a string', async () => {
    const bad = file(
      'ann.yaml',
      deployment(
        '\n      annotations:\n        traffic.sidecar.istio.io/excludeInboundPorts: "abc"',
      ),
    );
    expect((await inject(bad)).err).toBe(
      `Error: ${bad}: document 1 (line 13): invalid value "abc" for annotation traffic.sidecar.istio.io/excludeInboundPorts: failed parsing port "abc": ports are 0-65535\n`,
    );
    const num = file(
      'num.yaml',
      deployment('\n      annotations:\n        prometheus.io/port: 8080'),
    );
    expect((await inject(num)).err).toContain(
      `Error: ${num}: document 1 (line 13): spec.template.metadata.annotations["prometheus.io/port"] must be a string, got number 8080 (quote it)`,
    );
    // YAML 1.1, as go-yaml reads it: `off` is a boolean.
    const off = file(
      'off.yaml',
      deployment().replace('name: web\n  namespace', 'name: off\n  namespace'),
    );
    expect((await inject(off)).err).toContain(
      `Error: ${off}: document 1 (line 4): metadata.name must be a string, got boolean false (quote it)`,
    );
  });

  it('flags: unknown (64), cluster-only (refused by name), missing -f (as istioctl words it)', async () => {
    expect(await cli(['-f', EMPTY, '--foo'])).toEqual({
      code: 64,
      out: '',
      err: "Error: unknown flag: --foo\nRun 'istioctl --help' for usage.\n",
    });
    const op = await cli(['-f', EMPTY, '--operatorFileName', 'iop.yaml']);
    expect(op.code).toBe(64);
    expect(op.err).toContain('flag --operatorFileName is not implemented');
    expect(await cli([])).toEqual({
      code: 1,
      out: '',
      err: 'Error: 1 error occurred:\n\t* filename not specified (see --filename or -f)\n\n\n',
    });
    const mesh = file('badmesh.yaml', 'defaultConfig:\n  interceptionMode: SIDECAR\n');
    expect((await cli(['-f', EMPTY, '--meshConfigFile', mesh])).err).toContain(
      `Error: --meshConfigFile ${mesh}: defaultConfig.interceptionMode: invalid value "SIDECAR"`,
    );
    const values = file('badvalues.json', '{"global":{"proxy":{"statusPort":"x"}}}');
    expect(
      (await cli(['-f', EMPTY, '--meshConfigFile', EMPTY, '--valuesFile', values])).err,
    ).toContain(
      `Error: --valuesFile ${values}: values.global.proxy.statusPort must be a whole number`,
    );
    expect(existsSync(EMPTY)).toBe(true);
  });
});
