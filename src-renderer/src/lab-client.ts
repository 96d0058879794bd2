// The renderer's one way to the lab: `window.lab` from the Electron preload, else the WebSocket bridge of the page's URL.
import type { LabApi } from '../../src-main/contract/api';
import { connectBridge } from './bridge-client';

declare global {
  interface Window {
    lab?: LabApi;
  }
}

let client: LabApi | undefined;

/** The bridge serves this page, so its WebSocket is on the same host and port; the token is in the URL. */
function bridgeFromLocation(): LabApi {
  const token = new URLSearchParams(window.location.search).get('token');
  if (!token) throw new Error('No lab connection: open this page from the lab (the address with ?token=…).');
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  return connectBridge(`${scheme}://${window.location.host}/?token=${encodeURIComponent(token)}`);
}

export function lab(): LabApi {
  client ??= window.lab ?? bridgeFromLocation();
  return client;
}

/** Tests swap the client between cases. */
export function resetLabClient(): void {
  client = undefined;
}
