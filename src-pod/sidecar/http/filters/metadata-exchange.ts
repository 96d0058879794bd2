// istio.metadata_exchange (peer_metadata): the peer headers, sent on outbound requests and echoed on inbound responses, taken off the other way.
import { PEER_ID_RECEIVED, PEER_METADATA, PEER_METADATA_ID, PEER_RECEIVED } from '../header-policy';
import type { HttpFilter } from './http-filter';

/**
 * Istio's sidecar config of the filter (pilot/pkg/xds/filters): outbound `upstream_propagation`
 * and `upstream_discovery` by istio_headers, inbound `downstream_discovery` and
 * `downstream_propagation`. Discovery removes the peer's headers; propagation sets this proxy's,
 * the id before the value, inbound only those the request carried (istio/proxy filter.cc).
 */
export const metadataExchange: HttpFilter = {
  name: 'istio.metadata_exchange',
  // Set outbound, removed inbound: a client's own copy never crosses the proxy.
  ownsRequestHeaders: [PEER_METADATA, PEER_METADATA_ID],
  // Removed outbound (the server's), set inbound (this proxy's): an app's own never crosses either.
  ownsResponseHeaders: [PEER_METADATA, PEER_METADATA_ID],
  requestHeaders(policy, _facts, out) {
    if (policy.direction === 'outbound' && policy.peer) out.push(PEER_METADATA_ID, policy.peer[0], PEER_METADATA, policy.peer[1]);
  },
  responseHeaders(policy, facts, out) {
    if (policy.direction !== 'inbound' || !policy.peer) return;
    if (facts.peerReceived & PEER_ID_RECEIVED) out.push(PEER_METADATA_ID, policy.peer[0]);
    if (facts.peerReceived & PEER_RECEIVED) out.push(PEER_METADATA, policy.peer[1]);
  },
};
