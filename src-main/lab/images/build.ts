// Builds the lab's images through the engine, tagged by a hash of their inputs so unchanged images are never rebuilt.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type Docker from 'dockerode';
import { followStream, LABELS } from '../docker/engine';
import { tarOf } from '../docker/tar';
import { BASE_IMAGE_CANDIDATES, ensureBaseImage, imageExists, localBaseImage } from './base-image';
import { bundlePodProgram, commandWrapper } from './bundle';
import {
  dockerfilePath,
  IMAGES,
  imageRepo,
  type ImageDefinition,
  type ImageName,
} from './definitions';
import type { BuildProgress } from './progress';

export type ImageSet = Record<ImageName, string>;

export interface EnsureImagesOptions {
  offline: boolean;
  progress: BuildProgress;
  /**
   * false: only find the images (a loaded bundle is checked so): a missing one is an error, and
   * nothing is pulled, built or tagged `latest`. Default true.
   */
  build?: boolean;
}

export interface BuildContext {
  files: Map<string, Buffer>;
  /** Hash of everything the image is made from: its files and its parent's image id. */
  inputs: string;
}

export async function makeBuildContext(def: ImageDefinition, parentId: string): Promise<BuildContext> {
  const files = new Map<string, Buffer>();
  files.set('Dockerfile', readFileSync(dockerfilePath(def.name)));
  for (const [name, file] of Object.entries(def.sources ?? {})) files.set(name, readFileSync(file));
  for (const program of def.programs) {
    files.set(`lib/${program.name}.cjs`, await bundlePodProgram(program));
    files.set(`bin/${program.name}`, Buffer.from(commandWrapper(program)));
  }
  const hash = createHash('sha256');
  hash.update(`${def.name}\0${parentId}\0`);
  for (const name of [...files.keys()].sort()) {
    hash.update(`${name}\0`);
    hash.update(createHash('sha256').update(files.get(name)!).digest('hex'));
  }
  return { files, inputs: hash.digest('hex').slice(0, 12) };
}

async function buildOne(
  docker: Docker,
  def: ImageDefinition,
  parentRef: string,
  context: BuildContext,
  tag: string,
  progress: BuildProgress,
): Promise<void> {
  const stream = await docker.buildImage(tarOf(context.files), {
    t: tag,
    buildargs: { PARENT: parentRef },
    labels: { [LABELS.image]: def.name, [LABELS.inputs]: context.inputs },
    rm: true,
    forcerm: true,
  });
  await followStream(docker, stream, (message) => {
    const text = message.stream?.trimEnd();
    if (!text) return;
    for (const line of text.split('\n')) {
      if (/^Step \d+\/\d+ :/.test(line)) progress.step(def.name, line);
      else progress.detail(def.name, line);
    }
  });
  // A build that printed an error line but exited cleanly still has no image: check.
  if (!(await imageExists(docker, tag))) throw new Error(`building ${tag} produced no image`);
}

/** Makes sure every lab image exists for the current sources; builds only what changed. */
export async function ensureImages(docker: Docker, opts: EnsureImagesOptions): Promise<ImageSet> {
  const build = opts.build ?? true;
  const baseRef = build ? await ensureBaseImage(docker, opts) : await localBaseImage(docker);
  if (!baseRef) throw new Error(`no base image for the lab's images on the engine (looked for ${BASE_IMAGE_CANDIDATES.join(', ')})`);
  const refs: Partial<ImageSet> = {};
  for (const def of IMAGES) {
    const parentRef = def.parent === 'base' ? baseRef : refs[def.parent];
    if (!parentRef) throw new Error(`image ${def.name} needs ${def.parent}, which is not built`);
    const parentId = (await docker.getImage(parentRef).inspect()).Id;
    const context = await makeBuildContext(def, parentId);
    const tag = `${imageRepo(def.name)}:${context.inputs}`;
    if (await imageExists(docker, tag)) {
      opts.progress.step(def.name, `up to date (${tag})`);
    } else if (!build) {
      throw new Error(`image ${tag} (${def.name}, for these sources on base ${baseRef}) is not on the engine`);
    } else {
      opts.progress.step(def.name, `building ${tag}`);
      const started = Date.now();
      await buildOne(docker, def, parentRef, context, tag, opts.progress);
      opts.progress.step(def.name, `built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    // `latest` lets manifests and people name the image without its hash.
    if (build) await docker.getImage(tag).tag({ repo: imageRepo(def.name), tag: 'latest' });
    refs[def.name] = tag;
  }
  return refs as ImageSet;
}
