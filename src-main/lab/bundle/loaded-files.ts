// Where `bundle load` puts a bundle's workshops and scenarios: the per-user state directory, looked up after the built-in ones.
import { join } from 'node:path';
import { stateDir } from '../paths';

export const loadedBundleDir = (): string => join(stateDir(), 'bundle');
export const loadedWorkshopsDir = (): string => join(loadedBundleDir(), 'workshops');
export const loadedScenariosDir = (): string => join(loadedBundleDir(), 'scenarios');
