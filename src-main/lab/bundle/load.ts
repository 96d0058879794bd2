// `bundle load`: checks a bundle whole, loads its images into the engine and installs its workshops and scenarios; on any failure puts the machine back as it was.
import { createReadStream, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { followStream } from '../docker/engine';
import { ensureImages } from '../images/build';
import type { BuildProgress } from '../images/progress';
import { silentProgress } from '../images/progress';
import { loadedBundleDir } from './loaded-files';
import { BundleError, IMAGES_MEMBER, MANIFEST_MEMBER, parseManifest, rollbackPlan, type BundleManifest } from './manifest';
import { eachEntry, Tally } from './members';

const mb = (n: number): string => `${(n / 1e6).toFixed(0)} MB`;

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Pass 1: reads the whole file, checks every member against the manifest (a truncated or altered
 * bundle fails here, before anything changes), and writes the workshops and scenarios to `staging`.
 */
async function checkBundle(file: string, staging: string, progress: BuildProgress): Promise<BundleManifest> {
  let manifest: BundleManifest | undefined;
  let index = 0;
  const total = statSync(file).size;
  const input = createReadStream(file);
  let read = 0;
  let last = Date.now();
  input.on('data', (c) => {
    read += c.length;
    if (Date.now() - last >= 2000) {
      last = Date.now();
      progress.info(`checking ${file}: ${Math.floor((100 * read) / total)} % of ${mb(total)}`);
    }
  });
  await eachEntry(input, async (header, stream) => {
    if (!manifest) {
      if (header.name !== MANIFEST_MEMBER) throw new BundleError(file, `not a Sidecar Lab bundle: its first member is ${header.name}, not ${MANIFEST_MEMBER}`);
      manifest = parseManifest((await readAll(stream)).toString('utf8'), file);
      return;
    }
    const want = manifest.members[index++];
    if (!want || want.path !== header.name) throw new BundleError(file, `member ${header.name} is not the one the manifest lists next (${want?.path ?? 'none'})`);
    const tally = new Tally(() => {});
    const chunks: Buffer[] = [];
    for await (const c of stream.pipe(tally)) if (want.path !== IMAGES_MEMBER) chunks.push(c as Buffer);
    if (tally.bytes !== want.size || tally.digest() !== want.sha256) {
      throw new BundleError(file, `member ${want.path} is damaged (${tally.bytes} bytes of ${want.size}, or its sha256 differs)`);
    }
    if (want.path !== IMAGES_MEMBER) {
      const target = join(staging, want.path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, Buffer.concat(chunks));
    }
  }).catch((err: unknown) => {
    if (err instanceof BundleError) throw err;
    throw new BundleError(file, `not a complete Sidecar Lab bundle (${(err as Error).message}); is it a partial copy?`);
  });
  if (!manifest) throw new BundleError(file, 'empty: not a Sidecar Lab bundle');
  const missing = manifest.members.slice(index).map((m) => m.path);
  if (missing.length > 0) throw new BundleError(file, `is cut short: ${missing.join(', ')} missing (a partial copy?)`);
  return manifest;
}

async function imageIdOf(docker: Docker, ref: string): Promise<string | undefined> {
  try {
    return (await docker.getImage(ref).inspect()).Id;
  } catch {
    return undefined;
  }
}

async function tagIds(docker: Docker, refs: readonly string[]): Promise<Map<string, string | undefined>> {
  return new Map(await Promise.all(refs.map(async (r): Promise<[string, string | undefined]> => [r, await imageIdOf(docker, r)])));
}

/** Pass 2: streams the images member into `docker load`. */
async function loadImages(docker: Docker, file: string, size: number, progress: BuildProgress): Promise<void> {
  await eachEntry(createReadStream(file), async (header, stream) => {
    if (header.name !== IMAGES_MEMBER) {
      for await (const chunk of stream) void chunk;
      return;
    }
    const tally = new Tally((n) => progress.info(`loading images into the engine: ${mb(n)} of ${mb(size)}`));
    const response = await docker.loadImage(stream.pipe(tally), { quiet: true });
    await followStream(docker, response, () => {});
  });
}

export interface LoadBundleResult {
  manifest: BundleManifest;
  /** Where the workshops and scenarios now are. */
  filesDir: string;
}

/** Undoes what a failed load did to the engine's tags: removes the tags it made, points moved ones back. */
async function rollBack(docker: Docker, before: Map<string, string | undefined>, progress: BuildProgress): Promise<void> {
  const after = await tagIds(docker, [...before.keys()]);
  for (const step of rollbackPlan(before, after)) {
    try {
      if (step.action === 'remove') await docker.getImage(step.ref).remove();
      else {
        const [repo, tag] = [step.ref.slice(0, step.ref.lastIndexOf(':')), step.ref.slice(step.ref.lastIndexOf(':') + 1)];
        await docker.getImage(step.id!).tag({ repo, tag });
      }
      progress.info(`undid: ${step.action} ${step.ref}`);
    } catch (err) {
      progress.info(`could not undo ${step.action} ${step.ref}: ${(err as Error).message}`);
    }
  }
}

export async function loadBundle(docker: Docker, file: string, progress: BuildProgress): Promise<LoadBundleResult> {
  if (!existsSync(file)) throw new BundleError(file, 'no such file');
  if (statSync(file).isDirectory()) throw new BundleError(file, 'is a directory, not a bundle file');
  const target = loadedBundleDir();
  mkdirSync(dirname(target), { recursive: true });
  const staging = `${target}.loading-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    const manifest = await checkBundle(file, staging, progress);
    const refs = manifest.images.map((i) => i.ref);
    const before = await tagIds(docker, refs);
    try {
      const size = manifest.members.find((m) => m.path === IMAGES_MEMBER)!.size;
      await loadImages(docker, file, size, progress);
      const after = await tagIds(docker, refs);
      const wrong = manifest.images.filter((i) => after.get(i.ref) !== i.id);
      if (wrong.length > 0) throw new BundleError(file, `after loading, ${wrong.map((i) => i.ref).join(', ')} is not the image the bundle lists`);
      // The same search `up` makes: if this version of the lab would build anything, the bundle is of no use here.
      await ensureImages(docker, { offline: true, build: false, progress: silentProgress }).catch((err: unknown) => {
        throw new BundleError(file, `its images are not the ones this version of Sidecar Lab runs (${(err as Error).message}): make the bundle with the same version`);
      });
    } catch (err) {
      progress.info('the load failed: putting the engine back as it was …');
      await rollBack(docker, before, progress);
      throw err instanceof BundleError ? err : new BundleError(file, `loading its images failed: ${(err as Error).message}`);
    }
    // The files last, and in one rename: the old ones stay whole until the new ones are complete.
    mkdirSync(staging, { recursive: true });
    const old = `${target}.old-${process.pid}`;
    if (existsSync(target)) renameSync(target, old);
    renameSync(staging, target);
    rmSync(old, { recursive: true, force: true });
    return { manifest, filesDir: target };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
