import { describe, expect, it } from 'vitest';
import { type AddressClass, classifyAddress, createAddressPolicy, InvalidCidrError, parseCidr, parseCidrList } from '../src';

const TABLE: [string, AddressClass | null][] = [
  // IPv4 special ranges
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'this-network'],
  ['10.0.0.1', 'private'],
  ['10.255.255.255', 'private'],
  ['100.64.0.1', 'cgnat'],
  ['100.127.255.254', 'cgnat'],
  ['100.100.100.200', 'metadata'],
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['169.254.0.1', 'link-local'],
  ['169.254.169.254', 'metadata'],
  ['169.254.170.2', 'metadata'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.0.0.8', 'ietf-protocol'],
  ['192.0.2.10', 'documentation'],
  ['192.88.99.1', '6to4'],
  ['192.168.1.1', 'private'],
  ['198.18.0.1', 'benchmarking'],
  ['198.19.255.255', 'benchmarking'],
  ['198.51.100.7', 'documentation'],
  ['203.0.113.9', 'documentation'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['240.0.0.1', 'reserved'],
  ['255.255.255.254', 'reserved'],
  ['255.255.255.255', 'broadcast'],
  // IPv4 public, including the neighbours of special ranges
  ['1.1.1.1', null],
  ['8.8.8.8', null],
  ['9.255.255.255', null],
  ['11.0.0.0', null],
  ['100.63.255.255', null],
  ['100.128.0.0', null],
  ['126.255.255.255', null],
  ['128.0.0.0', null],
  ['169.253.255.255', null],
  ['172.15.255.255', null],
  ['172.32.0.0', null],
  ['192.0.1.1', null],
  ['192.167.255.255', null],
  ['192.169.0.0', null],
  ['198.17.255.255', null],
  ['198.20.0.0', null],
  ['223.255.255.255', null],
  // IPv6 special ranges
  ['::', 'unspecified'],
  ['::1', 'loopback'],
  ['0:0:0:0:0:0:0:1', 'loopback'],
  ['::2', 'reserved'],
  ['::127.0.0.1', 'reserved'], // deprecated IPv4-compatible form: not routed
  ['::ffff:0:7f00:1', 'reserved'], // IPv4-translated (SIIT): not a dual-stack mapping
  ['64:ff9b::a00:1', 'nat64'],
  ['64:ff9b::1.1.1.1', 'nat64'],
  ['64:ff9b:1::1', 'nat64'],
  ['100::1', 'discard'],
  ['2001::1', 'teredo'],
  ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'teredo'],
  ['2001:2::1', 'ietf-protocol'],
  ['2001:db8::1', 'documentation'],
  ['2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', 'documentation'],
  ['2002:a00:1::1', '6to4'],
  ['3fff::1', 'documentation'],
  ['fc00::1', 'unique-local'],
  ['fd12:3456:789a::1', 'unique-local'],
  ['fd00:ec2::254', 'metadata'],
  ['fe80::1', 'link-local'],
  ['fe80::1%eth0', 'link-local'],
  ['febf:ffff::1', 'link-local'],
  ['fec0::1', 'site-local'],
  ['ff02::1', 'multicast'],
  ['ff0e::1', 'multicast'],
  ['4000::1', 'reserved'],
  ['1::1', 'reserved'],
  // IPv4-mapped IPv6: the embedded IPv4 decides, in every spelling
  ['::ffff:10.0.0.1', 'private'],
  ['::ffff:a00:1', 'private'],
  ['::ffff:7f00:1', 'loopback'],
  ['::ffff:127.0.0.1', 'loopback'],
  ['0:0:0:0:0:ffff:7f00:0001', 'loopback'],
  ['::FFFF:169.254.169.254', 'metadata'],
  ['::ffff:a9fe:a9fe', 'metadata'],
  ['::ffff:0.0.0.0', 'unspecified'],
  ['::ffff:1.1.1.1', null],
  // IPv6 public
  ['2606:4700:4700::1111', null],
  ['2001:4860:4860::8888', null],
  ['2a00:1450:4001:80b::200e', null],
  ['2001:200::1', null], // just past 2001::/23
  ['3ffe:ffff::1', null],
  // not addresses at all: refused, never guessed at
  ['localhost', 'invalid'],
  ['127.1', 'invalid'],
  ['2130706433', 'invalid'],
  ['010.0.0.1', 'invalid'],
  ['1.2.3.256', 'invalid'],
  ['', 'invalid'],
  ['[::1]', 'invalid'],
];

describe('classifyAddress', () => {
  it.each(TABLE)('%s → %s', (ip, expected) => {
    expect(classifyAddress(ip)).toBe(expected);
  });
});

describe('parseCidr / parseCidrList', () => {
  it('parses IPv4 and IPv6 CIDRs and bare addresses into canonical form', () => {
    expect(parseCidrList('10.0.0.0/8, 127.0.0.0/8 fd00::/8\n::1 192.168.1.5').map((c) => c.text)).toEqual([
      '10.0.0.0/8',
      '127.0.0.0/8',
      'fd00::/8',
      '::1/128',
      '192.168.1.5/32',
    ]);
    expect(parseCidrList(['0.0.0.0/0', ' 2001:DB8:0:0::/32 ']).map((c) => c.text)).toEqual(['0.0.0.0/0', '2001:db8::/32']);
    expect(parseCidrList('')).toEqual([]);
    expect(parseCidr('::ffff:0:0/96')).toMatchObject({ version: 6, prefix: 96 });
  });

  it.each([
    ['10.0.0.0/33', /invalid CIDR "10.0.0.0\/33": prefix length must be a number from 0 to 32/],
    ['fd00::/129', /invalid CIDR "fd00::\/129": prefix length must be a number from 0 to 128/],
    ['10.0.0.0/', /invalid CIDR "10.0.0.0\/"/],
    ['10.0.0.0/-1', /invalid CIDR "10.0.0.0\/-1"/],
    ['10.0.0/8', /invalid CIDR "10.0.0\/8": not an IPv4 or IPv6 address/],
    ['example.com/24', /invalid CIDR "example.com\/24": not an IPv4 or IPv6 address/],
    ['10.0.0.1/8', /invalid CIDR "10.0.0.1\/8": has bits set after the \/8 prefix \(did you mean 10.0.0.0\/8\?\)/],
    ['fd00::1/8', /did you mean fd00::\/8\?/],
  ])('rejects %s with an error naming the entry', (text, message) => {
    expect(() => parseCidrList(text)).toThrow(InvalidCidrError);
    expect(() => parseCidrList(text)).toThrow(message);
  });

  it('names every bad entry of a list in one error', () => {
    let caught: unknown;
    try {
      parseCidrList('127.0.0.0/8, nonsense, 10.0.0.0/99');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidCidrError);
    expect((caught as InvalidCidrError).entries.map((e) => e.entry)).toEqual(['nonsense', '10.0.0.0/99']);
    expect((caught as InvalidCidrError).message).toMatch(/"nonsense".*"10.0.0.0\/99"/);
  });
});

describe('createAddressPolicy', () => {
  it('refuses special ranges and lets public addresses through', () => {
    const policy = createAddressPolicy({});
    expect(policy.checkAddress('1.1.1.1')).toBeNull();
    expect(policy.checkAddress('2606:4700:4700::1111')).toBeNull();
    expect(policy.checkAddress('10.0.0.1')).toBe('address 10.0.0.1 is in a private range');
    expect(policy.checkAddress('169.254.169.254')).toBe('address 169.254.169.254 is a cloud metadata service address');
    expect(policy.checkAddress('::ffff:7f00:1')).toBe('address ::ffff:7f00:1 is in the loopback range');
    expect(policy.checkAddress('100.64.0.1')).toMatch(/carrier-grade NAT/);
    expect(policy.checkAddress('not-an-ip')).toBe('"not-an-ip" is not an IP address');
  });

  it('opens exactly the allowlisted ranges, IPv4-mapped forms included', () => {
    const policy = createAddressPolicy({ allowlist: ['127.0.0.0/8', '10.1.0.0/16', 'fd00:1::/32'] });
    expect(policy.checkAddress('127.0.0.1')).toBeNull();
    expect(policy.checkAddress('127.8.9.10')).toBeNull();
    expect(policy.checkAddress('::ffff:127.0.0.1')).toBeNull();
    expect(policy.checkAddress('10.1.200.3')).toBeNull();
    expect(policy.checkAddress('fd00:1::5')).toBeNull();
    expect(policy.checkAddress('10.2.0.1')).toMatch(/private range/);
    expect(policy.checkAddress('fd00:2::5')).toMatch(/unique local/);
    expect(policy.checkAddress('::1')).toMatch(/loopback/); // 127.0.0.0/8 does not open IPv6 loopback
    expect(policy.checkAddress('169.254.169.254')).toMatch(/metadata/);
  });

  it('reports a bad allowlist entry when the policy is created', () => {
    expect(() => createAddressPolicy({ allowlist: ['127.0.0.0/8', '300.0.0.0/8'] })).toThrow(/invalid CIDR "300.0.0.0\/8"/);
  });

  it('checks the URL: http(s) only, https only when asked, no credentials', () => {
    const open = createAddressPolicy({});
    const strict = createAddressPolicy({ httpsOnly: true });
    expect(open.checkUrl('https://example.com/hook')).toBeNull();
    expect(open.checkUrl('http://example.com:8080/hook?x=1')).toBeNull();
    expect(open.checkUrl(new URL('http://[2606:4700:4700::1111]/'))).toBeNull();
    expect(strict.checkUrl('https://example.com/hook')).toBeNull();
    expect(strict.checkUrl('http://example.com/hook')).toBe('only https URLs are allowed');
    expect(open.checkUrl('ftp://example.com/x')).toBe('scheme "ftp" is not allowed (only http and https)');
    expect(open.checkUrl('file:///etc/passwd')).toMatch(/scheme "file" is not allowed/);
    expect(open.checkUrl('javascript:alert(1)')).toMatch(/scheme "javascript" is not allowed/);
    expect(open.checkUrl('https://user:pw@example.com/')).toMatch(/credentials/);
    expect(open.checkUrl('https://user@example.com/')).toMatch(/credentials/);
    expect(open.checkUrl('not a url')).toBe('"not a url" is not a valid URL');
  });
});
