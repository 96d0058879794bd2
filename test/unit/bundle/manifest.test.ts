// A bundle's manifest: what it must hold (errors name the file and field), which member paths it may list, and how a failed load is undone.
import { describe, expect, it } from 'vitest';
import { BUNDLE_FORMAT, memberPathProblem, parseManifest, rollbackPlan } from '../../../src-main/lab/bundle/manifest';

const sha = 'a'.repeat(64);
const good = {
  format: BUNDLE_FORMAT,
  created: '2026-12-07T20:00:00Z',
  images: [{ name: 'base', ref: 'sidecar-lab/base:bookworm', id: 'sha256:1' }],
  workshops: ['performance'],
  scenarios: ['performance.yaml'],
  members: [
    { path: 'workshops/performance/workshop.yaml', size: 10, sha256: sha },
    { path: 'images.tar', size: 1000, sha256: sha },
  ],
};
const text = (patch: Record<string, unknown>): string => JSON.stringify({ ...good, ...patch });

describe('parseManifest', () => {
  it('reads a good manifest', () => {
    const m = parseManifest(JSON.stringify(good), 'class.bundle');
    expect(m.images[0].ref).toBe('sidecar-lab/base:bookworm');
    expect(m.members.map((x) => x.path)).toEqual(['workshops/performance/workshop.yaml', 'images.tar']);
  });

  it('names the file and the field at fault', () => {
    expect(() => parseManifest('{', 'class.bundle')).toThrow(/^class\.bundle: sidecar-lab-bundle\.json is not JSON/);
    expect(() => parseManifest(text({ format: 'other/v9' }), 'class.bundle')).toThrow(/^class\.bundle: sidecar-lab-bundle\.json: format: expected sidecar-lab-bundle\/v1/);
    expect(() => parseManifest(text({ images: [] }), 'c.bundle')).toThrow(/images: expected a non-empty list/);
    expect(() => parseManifest(text({ images: [{ name: 'base', ref: '', id: 'x' }] }), 'c.bundle')).toThrow(/images\[0\]\.ref: expected a string/);
    expect(() => parseManifest(text({ members: [{ path: 'images.tar', size: -1, sha256: sha }] }), 'c.bundle')).toThrow(/members\[0\]\.size: expected a byte count/);
    expect(() => parseManifest(text({ members: [{ path: 'images.tar', size: 1, sha256: 'xyz' }] }), 'c.bundle')).toThrow(/members\[0\]\.sha256/);
    expect(() => parseManifest(text({ members: [{ path: 'scenarios/a.yaml', size: 1, sha256: sha }] }), 'c.bundle')).toThrow(/members: images\.tar is not listed/);
    expect(() => parseManifest(text({ members: [good.members[1], good.members[1]] }), 'c.bundle')).toThrow(/members\[1\]\.path: images\.tar is listed twice/);
    expect(() => parseManifest(text({ members: [{ path: 'workshops/../../etc/passwd', size: 1, sha256: sha }, good.members[1]] }), 'c.bundle')).toThrow(/members\[0\]\.path: .* is not a plain relative path/);
  });
});

describe('memberPathProblem', () => {
  it('takes images.tar, files under workshops/NAME/ and scenarios/*.yaml, nothing else', () => {
    expect(memberPathProblem('images.tar')).toBeUndefined();
    expect(memberPathProblem('workshops/perf/01-a.md')).toBeUndefined();
    expect(memberPathProblem('scenarios/performance.yaml')).toBeUndefined();
    expect(memberPathProblem('/etc/passwd')).toBeDefined();
    expect(memberPathProblem('workshops/../x')).toBeDefined();
    expect(memberPathProblem('workshops/perf')).toBeDefined();
    expect(memberPathProblem('scenarios/sub/a.yaml')).toBeDefined();
    expect(memberPathProblem('bin/evil')).toBeDefined();
  });
});

describe('rollbackPlan', () => {
  it('removes the tags the load made, points moved ones back, leaves unchanged ones alone', () => {
    const before = new Map<string, string | undefined>([
      ['sidecar-lab/proxy:new', undefined],
      ['debian:bookworm-slim', 'sha256:old'],
      ['sidecar-lab/base:bookworm', 'sha256:same'],
      ['sidecar-lab/demo:never', undefined],
    ]);
    const after = new Map<string, string | undefined>([
      ['sidecar-lab/proxy:new', 'sha256:p'],
      ['debian:bookworm-slim', 'sha256:loaded'],
      ['sidecar-lab/base:bookworm', 'sha256:same'],
      ['sidecar-lab/demo:never', undefined],
    ]);
    expect(rollbackPlan(before, after)).toEqual([
      { ref: 'sidecar-lab/proxy:new', action: 'remove' },
      { ref: 'debian:bookworm-slim', action: 'retag', id: 'sha256:old' },
    ]);
  });
});
