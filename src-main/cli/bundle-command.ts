// `sidecar-lab bundle save FILE [WORKSHOP_DIR|SCENARIO.yaml]… | load FILE`: everything a classroom with no internet needs, in one file.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { connectEngine } from '../lab/docker/engine';
import { BundleError } from '../lab/bundle/manifest';
import { loadBundle } from '../lab/bundle/load';
import { builtinScenarioFiles, saveBundle } from '../lab/bundle/save';
import { builtinWorkshopNames, WORKSHOPS_DIR } from '../workshop/session';
import { parseWorkshop } from '../workshop/parse';
import { UsageError } from './args';
import { isOffline } from './images-command';
import { formatBytes, progressPrinter, type CliIO } from './output';

const USAGE = 'bundle: usage: sidecar-lab bundle save FILE [WORKSHOP_DIR|SCENARIO.yaml]… | load FILE';

/** The instructor's own workshops (folders) and scenarios (YAML files), besides the built-in ones. */
function extras(paths: string[]): { workshops: string[]; scenarios: string[] } {
  const workshops: string[] = [];
  const scenarios: string[] = [];
  for (const p of paths) {
    if (!existsSync(p)) throw new UsageError(`bundle save: ${p}: no such file or folder`);
    if (statSync(p).isDirectory()) {
      parseWorkshop(p); // a workshop that does not parse fails now, naming its file and line
      workshops.push(p);
    } else if (/\.ya?ml$/.test(p)) scenarios.push(p);
    else throw new UsageError(`bundle save: ${p}: neither a workshop folder nor a scenario .yaml file`);
  }
  return { workshops, scenarios };
}

export async function bundleCommand(sub: string | undefined, positionals: string[], offlineFlag: boolean, io: CliIO): Promise<number> {
  const [file, ...more] = positionals;
  if (!file || (sub !== 'save' && sub !== 'load') || (sub === 'load' && more.length > 0)) throw new UsageError(USAGE);
  const progress = progressPrinter(io);
  const docker = await connectEngine();
  try {
    if (sub === 'save') {
      const extra = extras(more);
      const manifest = await saveBundle(docker, file, {
        workshops: [...builtinWorkshopNames().map((n) => join(WORKSHOPS_DIR, n)), ...extra.workshops],
        scenarios: [...builtinScenarioFiles(), ...extra.scenarios],
        offline: isOffline(offlineFlag),
        progress,
      });
      io.err(`bundle: saved ${file} (${formatBytes(statSync(file).size)}): images ${manifest.images.map((i) => i.ref).join(' ')}; workshops ${manifest.workshops.join(' ')}; scenarios ${manifest.scenarios.join(' ')}`);
      return 0;
    }
    const { manifest, filesDir } = await loadBundle(docker, file, progress);
    io.err(`bundle: loaded ${file}: images ${manifest.images.map((i) => i.ref).join(' ')}; workshops and scenarios in ${filesDir}`);
    io.err('bundle: `sidecar-lab up` and `sidecar-lab workshop start` now run without building or a network');
    return 0;
  } catch (err) {
    if (!(err instanceof BundleError)) throw err;
    io.err(`bundle: ${err.message}`);
    return 1;
  }
}
