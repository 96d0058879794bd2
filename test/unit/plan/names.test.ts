// Docker names and deterministic Kubernetes-style pod names.
import { describe, expect, it } from 'vitest';
import { containerName, deploymentPodNames, podTemplateHash } from '../../../src-main/lab/plan';

const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

describe('containerName', () => {
  it('is <lab>-<namespace>-<pod>-<container>', () => {
    expect(containerName('interception', 'default', 'sleep-abc', 'istio-proxy')).toBe(
      'interception-default-sleep-abc-istio-proxy',
    );
  });

  it('stays a valid Docker name', () => {
    expect(containerName('my lab', 'ns', 'a/b', 'c:d')).toMatch(DOCKER_NAME);
    expect(containerName('-x', 'ns', 'p', 'c')).toMatch(DOCKER_NAME);
  });

  it('cuts very long names and keeps them unique with a hash', () => {
    const long = 'p'.repeat(250);
    const a = containerName('lab', 'ns', long, 'a');
    const b = containerName('lab', 'ns', long, 'b');
    expect(a.length).toBe(200);
    expect(a).toMatch(DOCKER_NAME);
    expect(a).not.toBe(b);
  });
});

describe('deploymentPodNames', () => {
  it('are deterministic and unique', () => {
    const names = deploymentPodNames('default', 'web', 5);
    expect(deploymentPodNames('default', 'web', 5)).toEqual(names);
    expect(new Set(names).size).toBe(5);
    expect(names[0].startsWith(`web-${podTemplateHash('default', 'web')}-`)).toBe(true);
    expect(deploymentPodNames('other', 'web', 1)[0]).not.toBe(names[0]);
  });

  it('cut the base like generateName does (58 characters + 5)', () => {
    const [name] = deploymentPodNames('default', 'd'.repeat(60), 1);
    expect(name).toHaveLength(63);
  });
});
