import { lookup } from 'node:dns/promises';
import { isIP, type LookupFunction, Socket } from 'node:net';
import type { AddressPolicy } from './ssrf';

/**
 * One outbound policy for every connection a tenant's settings can make:
 * webhook URLs, Kafka brokers and Redis URLs alike. A host name is resolved
 * once, every address it resolves to is checked, and the connection goes to
 * one of those exact addresses, so nothing resolves it a second time (no
 * DNS-rebinding gap). A name with any refused address is refused outright: it
 * is misconfigured or hostile, and the outcome must not depend on resolver order.
 */

export interface ResolvedAddress {
  address: string;
  family: number;
}

export type Resolve = (hostname: string) => Promise<ResolvedAddress[]>;

export const REFUSED_ADDRESS = 'HERALD_REFUSED_ADDRESS';

/** The outbound policy refused a connection; nothing was sent, so nothing answered. */
export class RefusedAddressError extends Error {
  readonly code = REFUSED_ADDRESS;
  constructor(reason: string) {
    super(`refused by the outbound policy: ${reason}`);
    this.name = 'RefusedAddressError';
  }
}

/** Whether an error, or what it wraps (kafkajs nests the socket's error), is a refusal of the outbound policy. */
export function isRefusal(error: unknown): error is Error {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    if ((current as { code?: unknown }).code === REFUSED_ADDRESS || current.message.includes('refused by the outbound policy')) return true;
    current = (current as { cause?: unknown; originalError?: unknown }).originalError ?? (current as { cause?: unknown }).cause;
  }
  return false;
}

const defaultResolve: Resolve = (hostname) => lookup(hostname, { all: true, verbatim: true });

export type AddressVetter = (hostname: string) => Promise<string[]>;

/**
 * Resolves a host name (bounded by `timeoutMs`) and returns its addresses if
 * the policy allows every one; throws {@link RefusedAddressError} otherwise,
 * or an error with code `HERALD_DNS` when the name does not resolve.
 */
export function createAddressVetter(policy: AddressPolicy, options: { timeoutMs: number; resolve?: Resolve }): AddressVetter {
  const resolve = options.resolve ?? defaultResolve;
  return async (hostname) => {
    const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
    if (isIP(bare)) {
      const refusal = policy.checkAddress(bare);
      if (refusal) throw new RefusedAddressError(refusal);
      return [bare];
    }
    let resolved: ResolvedAddress[];
    let timer: NodeJS.Timeout | undefined;
    try {
      // Bounded, so a resolver that never answers cannot leave a connection stuck "connecting".
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error('timed out'), { code: 'ETIMEOUT' })), options.timeoutMs);
      });
      resolved = await Promise.race([resolve(bare), deadline]);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw Object.assign(new Error(`DNS lookup of ${bare} failed${code ? ` (${code})` : ''}`), { code: 'HERALD_DNS' });
    } finally {
      clearTimeout(timer);
    }
    if (resolved.length === 0) throw Object.assign(new Error(`DNS lookup of ${bare} returned no addresses`), { code: 'HERALD_DNS' });
    for (const { address } of resolved) {
      const refusal = policy.checkAddress(address);
      if (refusal) throw new RefusedAddressError(`${bare} resolves to ${address}: ${refusal}`);
    }
    return [...new Set(resolved.map(({ address }) => address))];
  };
}

/**
 * A `lookup` for net/tls.connect that answers only with vetted addresses.
 * Node skips `lookup` for IP literals, so callers check those themselves
 * ({@link guardedSocket} does).
 */
export function guardedLookup(vet: AddressVetter): LookupFunction {
  return (hostname, options, callback) => {
    vet(hostname).then(
      (addresses) => {
        const all = addresses.map((address) => ({ address, family: isIP(address) }));
        if (options.all) (callback as unknown as (e: null, a: typeof all) => void)(null, all);
        else callback(null, all[0]!.address, all[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}

/**
 * A socket that fails at once with the policy's refusal, for a connect that
 * must return a socket synchronously (kafkajs's socket factory): the error is
 * emitted on the next tick, after the caller attached its listeners.
 */
export function refusedSocket(error: Error): Socket {
  const socket = new Socket();
  process.nextTick(() => socket.destroy(error));
  return socket;
}
