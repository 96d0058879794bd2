// `bundle save | load` on the real engine: a round trip finds every image `up` needs without building, a cut bundle changes nothing, a failed load takes back the tags it made.
import { createHash } from 'node:crypto';
import { cpSync, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pack } from 'tar-stream';
import { connectEngine } from '../../src-main/lab/docker/engine';
import { ensureImages } from '../../src-main/lab/images/build';
import { silentProgress } from '../../src-main/lab/images/progress';
import { BASE_IMAGE_TAG } from '../../src-main/lab/images/definitions';
import { BUNDLE_FORMAT } from '../../src-main/lab/bundle/manifest';
import { repoRoot, runCli } from './helpers/cli';

const dir = mkdtempSync(join(tmpdir(), 'sidecar-lab-bundle-'));
const stateDir = join(dir, 'state');
const file = join(dir, 'class.bundle');
const env = { SIDECAR_LAB_STATE_DIR: stateDir };

describe('sidecar-lab bundle', () => {
  beforeAll(() => {
    // An instructor's own workshop and scenario, next to the built-in ones.
    cpSync(join(repoRoot, 'resources/workshops/traffic-flow-performance'), join(dir, 'class-course'), { recursive: true });
    copyFileSync(join(repoRoot, 'resources/scenarios/performance.yaml'), join(dir, 'class-perf.yaml'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('saves and loads: the same image ids, found as `up` looks for them without building; the workshops and scenarios installed', async () => {
    const docker = await connectEngine();
    const refs = await ensureImages(docker, { offline: true, progress: silentProgress });
    const ids = await Promise.all(Object.values(refs).map(async (r) => (await docker.getImage(r).inspect()).Id));

    const save = await runCli(['bundle', 'save', file, join(dir, 'class-course'), join(dir, 'class-perf.yaml'), '--offline'], { env, timeoutMs: 400_000 });
    expect(save.code, save.stderr).toBe(0);
    expect(save.stderr).toMatch(/images: saving 6 images/);
    expect(save.stderr).toMatch(/bundle: saved .*class\.bundle .*workshops traffic-flow traffic-flow-performance class-course; scenarios interception\.yaml performance\.yaml class-perf\.yaml/);
    expect(readdirSync(dir).filter((f) => f.includes('.partial-') || f.includes('.images-'))).toEqual([]);

    const load = await runCli(['bundle', 'load', file], { env, timeoutMs: 400_000 });
    expect(load.code, load.stderr).toBe(0);
    expect(load.stderr).toMatch(/bundle: loaded .*class\.bundle: images sidecar-lab\/base:bookworm|bundle: loaded .*class\.bundle: images \S+/);

    // What `up` does first: every image found for these sources, nothing built, the same images.
    const found = await ensureImages(docker, { offline: true, build: false, progress: silentProgress });
    expect(found).toEqual(refs);
    expect(await Promise.all(Object.values(found).map(async (r) => (await docker.getImage(r).inspect()).Id))).toEqual(ids);

    expect(existsSync(join(stateDir, 'bundle/workshops/class-course/workshop.yaml'))).toBe(true);
    const show = await runCli(['workshop', 'show', 'class-course', '1.2'], { env });
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain('Exclude the high-volume port and measure again');
    const list = await runCli(['workshop', 'list'], { env });
    expect(list.stdout).toMatch(/^class-course\s/m);
    expect(readFileSync(join(stateDir, 'bundle/scenarios/class-perf.yaml'), 'utf8')).toContain('name: performance');
  }, 900_000);

  it('refuses a cut bundle, naming it, and leaves the loaded files and the images as they were', async () => {
    const cut = join(dir, 'class-cut.bundle');
    copyFileSync(file, cut);
    truncateSync(cut, Math.floor(statSync(file).size * 0.6));
    const docker = await connectEngine();
    const before = (await docker.getImage(BASE_IMAGE_TAG).inspect()).Id;
    const listing = readdirSync(join(stateDir, 'bundle/workshops')).sort();
    const r = await runCli(['bundle', 'load', cut], { env, timeoutMs: 300_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bundle: .*class-cut\.bundle: (not a complete Sidecar Lab bundle|is cut short|member images\.tar is damaged).*/);
    expect(r.stderr).not.toMatch(/loading images into the engine/);
    expect(readdirSync(join(stateDir, 'bundle/workshops')).sort()).toEqual(listing);
    expect(readdirSync(stateDir).filter((f) => f.startsWith('bundle.'))).toEqual([]);
    expect((await docker.getImage(BASE_IMAGE_TAG).inspect()).Id).toBe(before);
  }, 600_000);

  it('takes back the tag a failed load made', async () => {
    // A bundle whose manifest promises another image under a tag of our own (never one others use).
    const docker = await connectEngine();
    const tag = `sidecar-lab-bundle-test/base:t${process.pid}`;
    const [repo, t] = tag.split(':');
    await docker.getImage(BASE_IMAGE_TAG).tag({ repo, tag: t });
    const withGetImages = docker as unknown as { getImages(o: { names: string[] }): Promise<NodeJS.ReadableStream> };
    const chunks: Buffer[] = [];
    for await (const c of await withGetImages.getImages({ names: [tag] })) chunks.push(c as Buffer);
    await docker.getImage(tag).remove();
    const images = Buffer.concat(chunks);
    const manifest = {
      format: BUNDLE_FORMAT,
      created: new Date().toISOString(),
      images: [{ name: 'base', ref: tag, id: `sha256:${'0'.repeat(64)}` }],
      workshops: [],
      scenarios: [],
      members: [{ path: 'images.tar', size: images.length, sha256: createHash('sha256').update(images).digest('hex') }],
    };
    const tar = pack();
    tar.entry({ name: 'sidecar-lab-bundle.json' }, JSON.stringify(manifest));
    tar.entry({ name: 'images.tar' }, images);
    tar.finalize();
    const out: Buffer[] = [];
    for await (const c of tar) out.push(c as Buffer);
    const bad = join(dir, 'wrong-id.bundle');
    writeFileSync(bad, Buffer.concat(out));

    const r = await runCli(['bundle', 'load', bad], { env, timeoutMs: 300_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}: after loading, ${tag} is not the image the bundle lists`);
    expect(r.stderr).toContain(`undid: remove ${tag}`);
    await expect(docker.getImage(tag).inspect()).rejects.toThrow();
    expect((await docker.getImage(BASE_IMAGE_TAG).inspect()).Id).toBeTruthy();
  }, 300_000);

  it('names a missing file', async () => {
    const r = await runCli(['bundle', 'load', join(dir, 'nope.bundle')], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`bundle: ${join(dir, 'nope.bundle')}: no such file`);
  });
});
