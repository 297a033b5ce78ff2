import { type Cidr, inCidrList, parseCidrList } from '@herald/delivery';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import type { ApiEnv } from './context';

/**
 * The address a request came from, for limits keyed by client. The TCP peer,
 * unless that peer is a trusted proxy (HERALD_TRUSTED_PROXIES): then the
 * nearest X-Forwarded-For entry that is not itself a trusted proxy. Entries
 * further left were written by the client and prove nothing, so they are used
 * only when every hop is trusted. Without trusted proxies the header is
 * ignored: anyone can send it, and a limit keyed by it would be dodged by
 * changing it on every request.
 */
export function createClientAddress(trustedProxies: readonly string[]): (c: Context<ApiEnv>) => string {
  const trusted: Cidr[] = parseCidrList(trustedProxies);
  return (c) => {
    const peer = peerAddress(c);
    if (trusted.length === 0 || !inCidrList(trusted, peer)) return peer;
    const hops = (c.req.header('x-forwarded-for') ?? '')
      .split(',')
      .map((hop) => hop.trim())
      .filter(Boolean);
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i]!;
      if (inCidrList(trusted, hop)) continue;
      // A proxy writes addresses; anything else means the chain cannot be read.
      return inCidrList(ANY, hop) ? hop : peer;
    }
    return hops[0] && inCidrList(ANY, hops[0]) ? hops[0] : peer;
  };
}

const ANY = parseCidrList(['0.0.0.0/0', '::/0']);

function peerAddress(c: Context<ApiEnv>): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    // Not served by @hono/node-server (app.request in a test): one shared bucket.
    return 'unknown';
  }
}
