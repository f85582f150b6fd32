import { describe, expect, it } from 'vitest';
import {
  coverage,
  firstOverlap,
  isPrefix,
  parsePrefix,
  rangeContains,
  rangesOverlap,
} from '../../../../shared/domain/cidr.js';

function p(text: string) {
  const range = parsePrefix(text);
  if (!range) throw new Error(`test prefix ${text} does not parse`);
  return range;
}

describe('parsePrefix', () => {
  it.each([
    ['10.0.0.0/16', 4, 16, 0x0a000000n, 0x0a00ffffn],
    ['10.0.0.5/16', 4, 16, 0x0a000000n, 0x0a00ffffn],
    ['192.168.1.7', 4, 32, 0xc0a80107n, 0xc0a80107n],
    ['0.0.0.0/0', 4, 0, 0n, 0xffffffffn],
    [' 10.1.2.0/24 ', 4, 24, 0x0a010200n, 0x0a0102ffn],
    ['fd00::/8', 6, 8, 0xfdn << 120n, (0xfen << 120n) - 1n],
    ['::/0', 6, 0, 0n, (1n << 128n) - 1n],
    ['2001:db8::1', 6, 128, 0x20010db8000000000000000000000001n, 0x20010db8000000000000000000000001n],
  ])('%s', (text, family, bits, first, last) => {
    expect(parsePrefix(text)).toMatchObject({ family, prefixLength: bits, first, last });
  });

  it.each([
    '',
    '*',
    'VirtualNetwork',
    '10.1',
    '10.0.0.0/33',
    '10.0.0.0/',
    '10.0.0.0/x',
    '010.0.0.1',
    '256.0.0.0/8',
    'fe80::1%eth0',
    '::/129',
    'fd00::/1234',
  ])('rejects %j', (text) => {
    expect(parsePrefix(text)).toBeUndefined();
    expect(isPrefix(text)).toBe(false);
  });
});

describe('containment and overlap', () => {
  it.each([
    ['10.0.0.0/8', '10.1.0.0/16', true, true],
    ['10.1.0.0/16', '10.0.0.0/8', false, true],
    ['10.1.0.0/16', '10.2.0.0/16', false, false],
    ['10.1.0.0/16', '10.1.255.255', true, true],
    ['10.0.0.0/8', 'fd00::/8', false, false],
    ['::ffff:10.0.0.0/104', '10.0.0.0/8', false, false],
    ['fd00::/8', 'fd12:3456::/32', true, true],
  ])('%s vs %s: contains %s, overlaps %s', (a, b, contains, overlaps) => {
    expect(rangeContains(p(a), p(b))).toBe(contains);
    expect(rangesOverlap(p(a), p(b))).toBe(overlaps);
    expect(rangesOverlap(p(b), p(a))).toBe(overlaps);
  });

  it('finds the first overlapping pair', () => {
    const pair = firstOverlap([p('10.1.0.0/16'), p('10.2.0.0/16')], [p('10.3.0.0/16'), p('10.2.128.0/17')]);
    expect(pair?.map((r) => r.text)).toEqual(['10.2.0.0/16', '10.2.128.0/17']);
    expect(firstOverlap([p('10.1.0.0/16')], [p('10.3.0.0/16')])).toBeUndefined();
  });
});

describe('coverage', () => {
  it.each([
    [['10.0.0.0/25', '10.0.0.128/25'], '10.0.0.0/24', 'full'],
    [['10.0.0.128/25', '10.0.0.0/25'], '10.0.0.0/24', 'full'],
    [['10.0.0.0/25'], '10.0.0.0/24', 'partial'],
    [['10.0.0.0/8'], '10.0.0.0/24', 'full'],
    [['11.0.0.0/8'], '10.0.0.0/24', 'none'],
    [[], '10.0.0.0/24', 'none'],
    [['10.0.0.0/26', '10.0.0.128/25'], '10.0.0.0/24', 'partial'],
    [['fd00::/8'], '10.0.0.0/24', 'none'],
  ])('%j over %s is %s', (ranges, target, expected) => {
    expect(coverage(ranges.map(p), p(target))).toBe(expected);
  });
});
