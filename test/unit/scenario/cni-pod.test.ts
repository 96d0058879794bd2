// A pod injected in Istio's CNI mode (istio-validation, no istio-init) is read as such.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenarioFiles } from '../../../src-main/lab/scenario';

describe('an injected pod from a CNI-mode cluster', () => {
  it('is marked cni, its istio-validation reported as not run, its app init container kept', async () => {
    const s = await parseScenarioFiles([resolve(import.meta.dirname, '../../fixtures/integration/customer-cni.yaml')]);
    const pod = s.workloads.find((w) => w.kind === 'Pod' && w.name === 'shop-broken');
    expect(pod?.kind === 'Pod' && pod.spec).toMatchObject({ cni: true, alreadyInjected: true, initContainers: [{ name: 'fetch-config' }] });
    expect(s.ignored.map((i) => i.message)).toContain(
      'field spec.initContainers[0] of Pod default/shop-broken ignored: not run: the lab applies the rules before the init containers, as istio-cni does',
    );
  });

  it('is not cni when istio-init is there too', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sidecar-lab-cni-')), 'pod.yaml');
    writeFileSync(
      file,
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  initContainers:\n  - {name: istio-init, image: proxyv2, args: [istio-iptables]}\n  containers:\n  - {name: app, image: a}\n  - {name: istio-proxy, image: proxyv2}\n',
    );
    const s = await parseScenarioFiles([file]);
    const pod = s.workloads[0];
    expect(pod.kind === 'Pod' && pod.spec.cni).toBeUndefined();
  });
});
