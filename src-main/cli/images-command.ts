// `sidecar-lab images build | list | save FILE | load FILE`.
import { connectEngine } from '../lab/docker/engine';
import { listLabImages, loadLabImages, saveLabImages } from '../lab/images/archive';
import { ensureImages } from '../lab/images/build';
import { UsageError } from './args';
import { formatBytes, progressPrinter, table, type CliIO } from './output';

export function isOffline(flag: boolean): boolean {
  return flag || process.env['SIDECAR_LAB_OFFLINE'] === '1';
}

export async function imagesCommand(
  sub: string | undefined,
  positionals: string[],
  offlineFlag: boolean,
  io: CliIO,
): Promise<number> {
  const docker = await connectEngine();
  switch (sub) {
    case 'build': {
      const refs = await ensureImages(docker, {
        offline: isOffline(offlineFlag),
        progress: progressPrinter(io),
      });
      io.out(table(['IMAGE', 'TAG'], Object.entries(refs).map(([name, ref]) => [name, ref])));
      return 0;
    }
    case 'list': {
      const images = await listLabImages(docker);
      if (images.length === 0) {
        io.out('no lab images yet: `sidecar-lab images build` makes them');
        return 0;
      }
      io.out(
        table(
          ['IMAGE', 'TAGS', 'ID', 'SIZE', 'CREATED'],
          images.map((i) => [
            i.name,
            i.tags.join(',') || '<untagged>',
            i.id,
            formatBytes(i.sizeBytes),
            i.created.toISOString().replace(/\.\d+Z$/, 'Z'),
          ]),
        ),
      );
      return 0;
    }
    case 'save': {
      const file = positionals[0];
      if (!file) throw new UsageError('images save: FILE is missing (sidecar-lab images save FILE)');
      const refs = await saveLabImages(docker, file);
      io.err(`saved ${refs.length} tags to ${file}: ${refs.join(' ')}`);
      return 0;
    }
    case 'load': {
      const file = positionals[0];
      if (!file) throw new UsageError('images load: FILE is missing (sidecar-lab images load FILE)');
      const loaded = await loadLabImages(docker, file);
      io.err(`loaded from ${file}: ${loaded.join(' ')}`);
      return 0;
    }
    default:
      throw new UsageError(
        `images: ${sub ? `unknown subcommand ${sub}` : 'a subcommand is missing'} (build | list | save FILE | load FILE)`,
      );
  }
}
