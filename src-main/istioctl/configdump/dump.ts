// An Envoy /config_dump, split into its typed sections as istioctl's configdump.Wrapper does.
import { IstioctlError } from '../errors';
import { arr, isObject, str, type Json } from './json';

const ADMIN = 'type.googleapis.com/envoy.admin.v3.';
export const SECTION = {
  bootstrap: `${ADMIN}BootstrapConfigDump`,
  clusters: `${ADMIN}ClustersConfigDump`,
  listeners: `${ADMIN}ListenersConfigDump`,
  routes: `${ADMIN}RoutesConfigDump`,
  endpoints: `${ADMIN}EndpointsConfigDump`,
  secrets: `${ADMIN}SecretsConfigDump`,
} as const;

export class ConfigDump {
  private constructor(private readonly configs: Json[]) {}

  /** Parses the admin endpoint's body (or a saved file); a bad body fails as istioctl's Prime does. */
  static parse(text: string): ConfigDump {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new IstioctlError(`error unmarshalling config dump response from Envoy: ${(err as Error).message}`);
    }
    if (!isObject(value)) {
      throw new IstioctlError('error unmarshalling config dump response from Envoy: the body is not a JSON object');
    }
    return new ConfigDump(arr(value, 'configs').filter(isObject));
  }

  /** The section of this type; like Go's getSection the last one wins and a missing one is an error. */
  section(typeUrl: string): Json {
    const found = this.optionalSection(typeUrl);
    if (!found) throw new IstioctlError(`config dump has no configuration type ${typeUrl}`);
    return found;
  }

  /** The section of this type, or undefined (istioctl treats a dump without EDS as having no endpoints). */
  optionalSection(typeUrl: string): Json | undefined {
    let found: Json | undefined;
    for (const c of this.configs) if (str(c, '@type') === typeUrl) found = c;
    return found;
  }
}
