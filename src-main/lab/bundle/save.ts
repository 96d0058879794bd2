// `bundle save`: the images this version of the lab builds, its workshops and scenarios, in one file for a classroom with no internet.
import { createReadStream, createWriteStream, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import { pack } from 'tar-stream';
import { localBaseImage } from '../images/base-image';
import { ensureImages } from '../images/build';
import type { BuildProgress } from '../images/progress';
import { BUILTIN_SCENARIO_DIR } from '../scenario/builtin';
import { parseScenarioFiles } from '../scenario/parse';
import { BUNDLE_FORMAT, IMAGES_MEMBER, MANIFEST_MEMBER, type BundleImage, type BundleManifest } from './manifest';
import { fileMembers, sha256, Tally } from './members';

export interface SaveBundleOptions {
  /** Workshop folders to bundle (the built-in ones, and any an instructor names). */
  workshops: string[];
  /** Scenario files to bundle. */
  scenarios: string[];
  offline: boolean;
  progress: BuildProgress;
}

export function builtinScenarioFiles(): string[] {
  return readdirSync(BUILTIN_SCENARIO_DIR)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(BUILTIN_SCENARIO_DIR, f));
}

const mb = (n: number): string => `${(n / 1e6).toFixed(0)} MB`;

/** The images `up` would use, built first if missing, as the bundle lists them: tag and id. */
async function bundleImages(docker: Docker, opts: SaveBundleOptions): Promise<BundleImage[]> {
  const refs = await ensureImages(docker, { offline: opts.offline, progress: opts.progress });
  const base = await localBaseImage(docker);
  if (!base) throw new Error('no base image on the engine after building the images');
  const named: [string, string][] = [['base', base], ...Object.entries(refs)];
  return Promise.all(named.map(async ([name, ref]) => ({ name, ref, id: (await docker.getImage(ref).inspect()).Id })));
}

/**
 * Writes the bundle: the manifest first (so `load` can judge a file before using it), the
 * workshops and scenarios, then `docker save` of the images. Written beside FILE and renamed at
 * the end: a failed save leaves no half bundle under FILE's name.
 */
export async function saveBundle(docker: Docker, file: string, opts: SaveBundleOptions): Promise<BundleManifest> {
  // Checked before the long part: a scenario that does not parse fails now, naming its file.
  await Promise.all(opts.scenarios.map((f) => parseScenarioFiles([f])));
  const files = fileMembers(opts.workshops, opts.scenarios);
  const images = await bundleImages(docker, opts);
  const partial = `${file}.partial-${process.pid}`;
  const imagesTmp = `${file}.images-${process.pid}`;
  try {
    opts.progress.info(`saving ${images.length} images (${images.map((i) => i.ref).join(', ')}) …`);
    // `GET /images/get?names=…` exports several images in one tarball; the typings lack it.
    const withGetImages = docker as unknown as { getImages(o: { names: string[] }): Promise<NodeJS.ReadableStream> };
    const saved = await withGetImages.getImages({ names: images.map((i) => i.ref) });
    const tally = new Tally((n) => opts.progress.info(`images: ${mb(n)} saved`));
    await pipeline(saved, tally, createWriteStream(imagesTmp));
    const imagesSize = statSync(imagesTmp).size;
    const manifest: BundleManifest = {
      format: BUNDLE_FORMAT,
      created: new Date().toISOString(),
      images,
      workshops: opts.workshops.map((d) => d.split('/').filter(Boolean).at(-1) ?? d),
      scenarios: opts.scenarios.map((f) => f.split('/').at(-1) ?? f),
      members: [
        ...files.map((f) => ({ path: f.path, size: f.content.length, sha256: sha256(f.content) })),
        { path: IMAGES_MEMBER, size: imagesSize, sha256: tally.digest() },
      ],
    };
    const tar = pack();
    const written = pipeline(tar, createWriteStream(partial));
    tar.entry({ name: MANIFEST_MEMBER }, `${JSON.stringify(manifest, null, 2)}\n`);
    for (const f of files) tar.entry({ name: f.path, mode: 0o644 }, f.content);
    const entry = tar.entry({ name: IMAGES_MEMBER, size: imagesSize, mode: 0o644 });
    const copy = new Tally((n) => opts.progress.info(`writing ${file}: ${mb(n)} of ${mb(imagesSize)}`));
    await pipeline(createReadStream(imagesTmp), copy, entry);
    tar.finalize();
    await written;
    renameSync(partial, file);
    return manifest;
  } finally {
    rmSync(imagesTmp, { force: true });
    rmSync(partial, { force: true });
  }
}
