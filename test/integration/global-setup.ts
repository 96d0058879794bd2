// Integration tests need a real Docker engine and the lab's images: fail loudly without an engine, build what is missing.
import { connectEngine } from '../../src-main/lab/docker/engine';
import { ensureImages } from '../../src-main/lab/images/build';

export default async function setup(): Promise<void> {
  const docker = await connectEngine(); // throws EngineUnavailableError, which fails the run
  const started = Date.now();
  const offline = process.env['SIDECAR_LAB_OFFLINE'] === '1' || process.env['CI'] === 'true';
  await ensureImages(docker, {
    offline,
    progress: {
      info: (m) => process.stderr.write(`[images] ${m}\n`),
      step: (image, m) => process.stderr.write(`[images] ${image}: ${m}\n`),
      detail: () => {},
    },
  });
  process.stderr.write(`[images] ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
