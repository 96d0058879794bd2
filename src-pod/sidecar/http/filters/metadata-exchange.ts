// istio.metadata_exchange: the peer metadata headers, sent on outbound requests and taken off inbound ones.
import { PEER_METADATA, PEER_METADATA_ID } from '../header-policy';
import type { HttpFilter } from './http-filter';

export const metadataExchange: HttpFilter = {
  name: 'istio.metadata_exchange',
  // Replaced outbound, removed inbound: a client's own copy never crosses the proxy.
  ownsRequestHeaders: [PEER_METADATA, PEER_METADATA_ID],
  requestHeaders(policy, _facts, out) {
    if (policy.peer) out.push(PEER_METADATA_ID, policy.peer[0], PEER_METADATA, policy.peer[1]);
  },
};
