import { isIPv4, isIPv6 } from 'node:net';

/**
 * The outbound guard's address rules. Webhook URLs come from tenants, so the
 * worker must never be turned into a proxy towards its own network: every
 * address a delivery connects to is checked here (at connect time, by the
 * sender), and only publicly routable unicast passes unless an operator
 * allowlists a range.
 */

/** Why an address is not publicly routable. `invalid` means the text is not an IP address at all. */
export type AddressClass =
  | 'unspecified'
  | 'this-network'
  | 'loopback'
  | 'private'
  | 'cgnat'
  | 'link-local'
  | 'metadata'
  | 'ietf-protocol'
  | 'documentation'
  | 'benchmarking'
  | 'multicast'
  | 'reserved'
  | 'broadcast'
  | 'unique-local'
  | 'site-local'
  | 'discard'
  | 'nat64'
  | '6to4'
  | 'teredo'
  | 'invalid';

const DESCRIPTIONS: Record<AddressClass, string> = {
  unspecified: 'the unspecified address',
  'this-network': 'in the "this network" range (0.0.0.0/8)',
  loopback: 'in the loopback range',
  private: 'in a private range',
  cgnat: 'in the carrier-grade NAT range (100.64.0.0/10)',
  'link-local': 'in the link-local range',
  metadata: 'a cloud metadata service address',
  'ietf-protocol': 'in the IETF protocol assignments range',
  documentation: 'in a documentation range',
  benchmarking: 'in the benchmarking range (198.18.0.0/15)',
  multicast: 'a multicast address',
  reserved: 'in a reserved range',
  broadcast: 'the broadcast address',
  'unique-local': 'in the unique local range (fc00::/7)',
  'site-local': 'in the deprecated site-local range (fec0::/10)',
  discard: 'in the discard-only range (100::/64)',
  nat64: 'in a NAT64 range',
  '6to4': 'in the 6to4 range',
  teredo: 'in the Teredo range (2001::/32)',
  invalid: 'not an IP address',
};

// ---------------------------------------------------------------- parsing

export interface Cidr {
  version: 4 | 6;
  /** The network address as an integer (32 or 128 bits). */
  network: bigint;
  prefix: number;
  /** Canonical text, e.g. `10.0.0.0/8`. */
  text: string;
}

interface Ip {
  version: 4 | 6;
  value: bigint;
}

function parseIPv4(text: string): bigint | null {
  if (!isIPv4(text)) return null;
  let value = 0n;
  for (const part of text.split('.')) value = (value << 8n) | BigInt(Number(part));
  return value;
}

function parseIPv6(input: string): bigint | null {
  // A zone (`fe80::1%eth0`) does not change which range an address is in.
  const text = input.includes('%') ? input.slice(0, input.indexOf('%')) : input;
  if (!isIPv6(text)) return null;
  let body = text;
  let tail: number[] = [];
  const lastColon = body.lastIndexOf(':');
  const last = body.slice(lastColon + 1);
  if (last.includes('.')) {
    const v4 = parseIPv4(last);
    if (v4 === null) return null;
    tail = [Number(v4 >> 16n), Number(v4 & 0xffffn)];
    body = body.slice(0, lastColon + 1);
    if (body.endsWith(':') && !body.endsWith('::')) body = body.slice(0, -1);
  }
  const groupsOf = (part: string) => (part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16)));
  let groups: number[];
  const gap = body.indexOf('::');
  if (gap >= 0) {
    const head = groupsOf(body.slice(0, gap));
    const rest = [...groupsOf(body.slice(gap + 2)), ...tail];
    groups = [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest];
  } else {
    groups = [...groupsOf(body), ...tail];
  }
  if (groups.length !== 8 || groups.some((group) => !Number.isInteger(group) || group < 0 || group > 0xffff)) return null;
  return groups.reduce((value, group) => (value << 16n) | BigInt(group), 0n);
}

function parseIp(text: string): Ip | null {
  const v4 = parseIPv4(text);
  if (v4 !== null) return { version: 4, value: v4 };
  const v6 = parseIPv6(text);
  return v6 === null ? null : { version: 6, value: v6 };
}

const bitsOf = (version: 4 | 6) => (version === 4 ? 32 : 128);

function formatIp(version: 4 | 6, value: bigint): string {
  if (version === 4) return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  // Longest run of zero groups (two or more) becomes `::` (RFC 5952).
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (list: number[]) => list.map((group) => group.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

export class InvalidCidrError extends Error {
  constructor(readonly entries: { entry: string; problem: string }[]) {
    super(entries.map(({ entry, problem }) => `invalid CIDR "${entry}": ${problem}`).join('; '));
    this.name = 'InvalidCidrError';
  }
}

function parseCidrEntry(entry: string): Cidr | string {
  const slash = entry.indexOf('/');
  const addressText = slash < 0 ? entry : entry.slice(0, slash);
  const ip = parseIp(addressText);
  if (!ip || addressText.includes('%')) return 'not an IPv4 or IPv6 address';
  const bits = bitsOf(ip.version);
  let prefix = bits;
  if (slash >= 0) {
    const prefixText = entry.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits) return `prefix length must be a number from 0 to ${bits}`;
    prefix = Number(prefixText);
  }
  const network = ip.value & maskOf(bits, prefix);
  if (network !== ip.value) {
    return `has bits set after the /${prefix} prefix (did you mean ${formatIp(ip.version, network)}/${prefix}?)`;
  }
  return { version: ip.version, network, prefix, text: `${formatIp(ip.version, network)}/${prefix}` };
}

/** One CIDR (`10.0.0.0/8`, `fd00::/8`); a bare address means a single host. Throws {@link InvalidCidrError}. */
export function parseCidr(text: string): Cidr {
  const parsed = parseCidrEntry(text.trim());
  if (typeof parsed === 'string') throw new InvalidCidrError([{ entry: text, problem: parsed }]);
  return parsed;
}

/**
 * A list of CIDRs separated by commas and/or whitespace (the form an
 * environment variable takes), or an array of entries. Every bad entry is
 * named in one {@link InvalidCidrError}.
 */
export function parseCidrList(text: string | readonly string[]): Cidr[] {
  const entries = (typeof text === 'string' ? text.split(/[\s,]+/) : text.map((entry) => entry.trim())).filter(Boolean);
  const cidrs: Cidr[] = [];
  const problems: { entry: string; problem: string }[] = [];
  for (const entry of entries) {
    const parsed = parseCidrEntry(entry);
    if (typeof parsed === 'string') problems.push({ entry, problem: parsed });
    else cidrs.push(parsed);
  }
  if (problems.length > 0) throw new InvalidCidrError(problems);
  return cidrs;
}

function maskOf(bits: number, prefix: number): bigint {
  const all = (1n << BigInt(bits)) - 1n;
  return prefix === 0 ? 0n : (all >> BigInt(bits - prefix)) << BigInt(bits - prefix);
}

function contains(cidr: Cidr, ip: Ip): boolean {
  if (cidr.version !== ip.version) return false;
  return (ip.value & maskOf(bitsOf(cidr.version), cidr.prefix)) === cidr.network;
}

/** Whether an address is inside any of the CIDRs; IPv4-mapped IPv6 counts as its IPv4. Text that is not an address is in none. */
export function inCidrList(cidrs: readonly Cidr[], ip: string): boolean {
  const parsed = parseIp(ip);
  if (!parsed) return false;
  const address = unmap(parsed);
  return cidrs.some((cidr) => contains(cidr, address) || contains(cidr, parsed));
}

// ---------------------------------------------------------------- ranges

/**
 * Special-purpose ranges (IANA IPv4/IPv6 Special-Purpose Address Registries,
 * plus cloud metadata endpoints). The most specific match wins. Deliberately
 * conservative: a few blocks the registry marks globally reachable (anycast
 * services inside 192.0.0.0/24 and 2001::/23, the deprecated 6to4 relay
 * 192.88.99.0/24) are refused too, since no webhook receiver lives there.
 */
const SPECIAL_RANGES: [string, AddressClass][] = [
  // IPv4
  ['0.0.0.0/8', 'this-network'],
  ['0.0.0.0/32', 'unspecified'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'cgnat'],
  ['100.100.100.200/32', 'metadata'], // Alibaba Cloud
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['169.254.169.254/32', 'metadata'], // AWS, GCP, Azure, OCI, DigitalOcean…
  ['169.254.170.2/32', 'metadata'], // AWS ECS task credentials
  ['169.254.170.23/32', 'metadata'], // AWS EKS pod identity
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'ietf-protocol'],
  ['192.0.2.0/24', 'documentation'],
  ['192.88.99.0/24', '6to4'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
  ['255.255.255.255/32', 'broadcast'],
  // IPv6 (::ffff:0:0/96 is handled before this table: the embedded IPv4 decides)
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['64:ff9b::/96', 'nat64'],
  ['64:ff9b:1::/48', 'nat64'],
  ['100::/64', 'discard'],
  ['2001::/23', 'ietf-protocol'],
  ['2001::/32', 'teredo'],
  ['2001:db8::/32', 'documentation'],
  ['2002::/16', '6to4'],
  ['3fff::/20', 'documentation'],
  ['fc00::/7', 'unique-local'],
  ['fd00:ec2::/32', 'metadata'], // AWS IMDS (fd00:ec2::254) and its neighbours
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'site-local'],
  ['ff00::/8', 'multicast'],
];

const RANGES: { cidr: Cidr; kind: AddressClass }[] = SPECIAL_RANGES.map(([text, kind]) => ({ cidr: parseCidr(text), kind })).sort(
  (a, b) => b.cidr.prefix - a.cidr.prefix,
);

/** Only 2000::/3 is allocated for global unicast; the rest of the IPv6 space is reserved. */
const GLOBAL_UNICAST_V6 = parseCidr('2000::/3');
const IPV4_MAPPED = parseCidr('::ffff:0:0/96');

/** `::ffff:a.b.c.d` is `a.b.c.d` on a dual-stack socket: compare it as IPv4. */
function unmap(ip: Ip): Ip {
  return contains(IPV4_MAPPED, ip) ? { version: 4, value: ip.value & 0xffffffffn } : ip;
}

function classify(ip: Ip): AddressClass | null {
  const address = unmap(ip);
  for (const { cidr, kind } of RANGES) if (contains(cidr, address)) return kind;
  if (address.version === 6 && !contains(GLOBAL_UNICAST_V6, address)) return 'reserved';
  return null;
}

/**
 * Null when the address is publicly routable, otherwise the special range it
 * is in. IPv4-mapped IPv6 addresses are classified by their embedded IPv4.
 * Text that is not an IP address is `invalid` (refused, never guessed at).
 */
export function classifyAddress(ip: string): AddressClass | null {
  const parsed = parseIp(ip);
  return parsed ? classify(parsed) : 'invalid';
}

/** Human wording for a refusal, e.g. `address 10.0.0.1 is in a private range`. */
export function describeAddressClass(ip: string, kind: AddressClass): string {
  return kind === 'invalid' ? `"${ip}" is not an IP address` : `address ${ip} is ${DESCRIPTIONS[kind]}`;
}

// ---------------------------------------------------------------- policy

export interface AddressPolicyOptions {
  /** CIDRs that are let through even though they are special (development, tests, a known internal receiver). */
  allowlist?: readonly string[];
  /** Refuse plain-http URLs. */
  httpsOnly?: boolean;
}

export interface AddressPolicy {
  readonly allowlist: readonly Cidr[];
  readonly httpsOnly: boolean;
  /** Null when the URL may be delivered to (its addresses are checked later, at connect time), otherwise why not. */
  checkUrl(url: string | URL): string | null;
  /** Null when a connection to this address is allowed, otherwise why not. */
  checkAddress(ip: string): string | null;
}

export function createAddressPolicy(options: AddressPolicyOptions = {}): AddressPolicy {
  const allowlist = parseCidrList(options.allowlist ?? []);
  const httpsOnly = options.httpsOnly ?? false;
  return {
    allowlist,
    httpsOnly,

    checkUrl(input) {
      let url: URL;
      try {
        url = typeof input === 'string' ? new URL(input) : input;
      } catch {
        return `"${String(input).slice(0, 200)}" is not a valid URL`;
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:')
        return `scheme "${url.protocol.slice(0, -1)}" is not allowed (only http and https)`;
      if (httpsOnly && url.protocol !== 'https:') return 'only https URLs are allowed';
      if (url.username !== '' || url.password !== '') return 'URLs with credentials (user:password@) are not allowed';
      if (url.hostname === '') return 'the URL has no host';
      return null;
    },

    checkAddress(ip) {
      const parsed = parseIp(ip);
      if (!parsed) return describeAddressClass(ip, 'invalid');
      const address = unmap(parsed);
      if (allowlist.some((cidr) => contains(cidr, address) || contains(cidr, parsed))) return null;
      const kind = classify(parsed);
      return kind === null ? null : describeAddressClass(ip, kind);
    },
  };
}
