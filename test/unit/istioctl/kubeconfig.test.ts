// istioctl's kubeconfig: which file, which context, and the cluster and user it names, as client-go's loader resolves them.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kubeconfigPath, kubeTargetFrom } from '../../../src-main/istioctl/kube/kubeconfig';

const CONFIG = `apiVersion: v1
kind: Config
clusters:
- name: lab
  cluster:
    server: https://127.0.0.1:6443/
    certificate-authority-data: ${Buffer.from('CA PEM').toString('base64')}
- name: other
  cluster:
    server: http://10.0.0.1:8080
    insecure-skip-tls-verify: true
users:
- name: lab
  user:
    token: secret-token
- name: basic
  user:
    username: admin
    password: pw
contexts:
- name: sidecar-lab-interception
  context: { cluster: lab, user: lab, namespace: shop }
- name: plain
  context: { cluster: other, user: basic }
current-context: sidecar-lab-interception
`;

describe('kubeTargetFrom', () => {
  it('takes the current context: server, CA, token and the context namespace', () => {
    expect(kubeTargetFrom(CONFIG, 'kc')).toEqual({
      context: 'sidecar-lab-interception',
      server: 'https://127.0.0.1:6443',
      ca: 'CA PEM',
      insecure: false,
      token: 'secret-token',
      namespace: 'shop',
    });
  });

  it('--context picks another; a context without a namespace means default', () => {
    expect(kubeTargetFrom(CONFIG, 'kc', 'plain')).toEqual({
      context: 'plain',
      server: 'http://10.0.0.1:8080',
      insecure: true,
      username: 'admin',
      password: 'pw',
      namespace: 'default',
    });
  });

  it("names what is wrong: client-go's message for a missing context, the file for the rest", () => {
    expect(() => kubeTargetFrom(CONFIG, 'kc', 'nope')).toThrow('context "nope" does not exist');
    expect(() => kubeTargetFrom(CONFIG.replace('cluster: other', 'cluster: gone'), '/x/kc', 'plain')).toThrow('/x/kc: context "plain": cluster "gone" not found');
    expect(() => kubeTargetFrom('current-context: [', '/x/kc')).toThrow(/^\/x\/kc: not a kubeconfig/);
    expect(() => kubeTargetFrom(CONFIG.replace('token: secret-token', 'exec: { command: aws }'), 'kc')).toThrow(/exec and auth-provider credentials are not implemented/);
  });
});

describe('kubeconfigPath', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  writeFileSync(a, CONFIG);
  writeFileSync(b, CONFIG);
  const lab = (): string => 'LAB';

  it('the flag first, then the first existing $KUBECONFIG file, then the lab', () => {
    expect(kubeconfigPath({ flag: b, env: a, labFallback: lab })).toBe(b);
    expect(kubeconfigPath({ env: `${join(dir, 'missing')}:${a}:${b}`, labFallback: lab })).toBe(a);
    expect(kubeconfigPath({ env: '', labFallback: lab })).toBe('LAB');
  });

  it('a missing --kubeconfig file, or nothing at all, is an error naming it', () => {
    expect(() => kubeconfigPath({ flag: join(dir, 'nope'), labFallback: lab })).toThrow(`stat ${join(dir, 'nope')}: no such file or directory`);
    expect(() => kubeconfigPath({ labFallback: () => undefined })).toThrow(/no kubeconfig: set KUBECONFIG or --kubeconfig/);
  });
});
