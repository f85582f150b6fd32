import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../../shared/errors.js';
import {
  canonicalSelector,
  labelKeyProblem,
  labelValueProblem,
  parseSelector,
  printSelector,
  selectMembers,
  selectorMatches,
  SelectorTextSchema,
  tryParseSelector,
  type LabelSelector,
} from '../../../../shared/domain/selector.js';
import { member } from './fixtures.js';

describe('parseSelector: valid selectors', () => {
  it.each([
    ['env=prod', [['env', 'prod']]],
    [
      'env=prod,region=east',
      [
        ['env', 'prod'],
        ['region', 'east'],
      ],
    ],
    [
      'region=east,env=prod',
      [
        ['env', 'prod'],
        ['region', 'east'],
      ],
    ],
    ['fleet.azure.com/location=eastus', [['fleet.azure.com/location', 'eastus']]],
    ['app.kubernetes.io/part-of=shop', [['app.kubernetes.io/part-of', 'shop']]],
    ['tier=', [['tier', '']]],
    ['A_b.c-D=V_1.x-Y', [['A_b.c-D', 'V_1.x-Y']]],
    [`${'k'.repeat(63)}=${'v'.repeat(63)}`, [['k'.repeat(63), 'v'.repeat(63)]]],
  ])('%j', (text, pairs) => {
    expect(parseSelector(text).pairs).toEqual(pairs.map(([key, value]) => ({ key, value })));
  });

  it.each([undefined, null, ''])('%j is the empty selector, which matches nothing', (text) => {
    const selector = parseSelector(text);
    expect(selector.pairs).toEqual([]);
    expect(selectorMatches(selector, {})).toBe(false);
    expect(selectorMatches(selector, { env: 'prod' })).toBe(false);
    expect(printSelector(selector)).toBe('');
  });
});

describe('parseSelector: invalid selectors name the offending pair', () => {
  it.each([
    ['env!=prod', "pair 1 'env!=prod': only the '=' operator is supported"],
    ['env==prod', "pair 1 'env==prod': only the '=' operator is supported"],
    ['!env', "pair 1 '!env': only the '=' operator is supported"],
    ['env', "pair 1 'env': the pair has no '='"],
    ['env=prod,region', "pair 2 'region': the pair has no '='"],
    ['env=a=b', "pair 1 'env=a=b': the pair has more than one '='"],
    ['env=prod,env=staging', "pair 2 'env=staging': key 'env' is repeated (first in pair 1)"],
    ['env=prod,', "pair 2 '': the pair is empty"],
    [',env=prod', "pair 1 '': the pair is empty"],
    ['env=prod, region=east', "pair 2 ' region=east': whitespace is not allowed"],
    ['=prod', "pair 1 '=prod': the key is empty"],
    ['a/b/c=x', "key 'a/b/c' has more than one '/'"],
    ['Fleet.Azure.com/x=y', "key prefix 'Fleet.Azure.com' is not a DNS subdomain"],
    ['-a.com/x=y', "key prefix '-a.com' is not a DNS subdomain"],
    [`${'a'.repeat(254)}/x=y`, 'is longer than 253 characters'],
    ['a.com/=y', "key 'a.com/' has an empty name"],
    [`${'k'.repeat(64)}=v`, 'is longer than 63 characters'],
    ['-env=prod', "key name '-env' must be letters, digits"],
    ['env.=prod', "key name 'env.' must be letters"],
    ['env=-prod', "value '-prod' must be letters"],
    ['env=pr/od', "value 'pr/od' must be letters"],
    [`env=${'v'.repeat(64)}`, `value '${'v'.repeat(64)}' is longer than 63 characters`],
  ])('%j', (text, expected) => {
    const result = tryParseSelector(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toContain(expected);
    expect(() => parseSelector(text)).toThrow(ValidationError);
    expect(() => parseSelector(text)).toThrow(expected);
  });

  it('rejects a selector over 512 characters, and still names bad pairs', () => {
    const pairs = Array.from({ length: 40 }, (_, i) => `key${i}=value-${i}`);
    const text = [...pairs, 'bad'].join(',');
    expect(text.length).toBeGreaterThan(512);
    const result = tryParseSelector(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues[0]?.reason).toBe(`the selector is ${text.length} characters long; at most 512 are allowed`);
    expect(result.issues[1]).toEqual({ pair: 'bad', position: 41, reason: "the pair has no '='" });
  });

  it('accepts exactly 512 characters and rejects 513', () => {
    const base = Array.from({ length: 7 }, (_, i) => `k${i}=${'v'.repeat(60)}`).join(',');
    const text = `${base},z=${'y'.repeat(512 - base.length - 3)}`;
    expect(text.length).toBe(512);
    expect(tryParseSelector(text).ok).toBe(true);
    expect(tryParseSelector(`${text}y`)).toMatchObject({
      ok: false,
      issues: [{ reason: 'the selector is 513 characters long; at most 512 are allowed' }],
    });
  });

  it('carries every issue in the ValidationError details', () => {
    expect(() => parseSelector('a!=b,c')).toThrow(
      expect.objectContaining({
        status: 400,
        details: [
          { pair: 'a!=b', position: 1, reason: "only the '=' operator is supported" },
          { pair: 'c', position: 2, reason: "the pair has no '='" },
        ],
      }),
    );
  });
});

describe('label key and value syntax', () => {
  it.each(['a', 'a.b-c_d', 'x.io/name', 'a-b.c/d'])('key %j is valid', (key) => {
    expect(labelKeyProblem(key)).toBeUndefined();
  });
  it.each(['', 'a/', '/a', 'A.io/x', 'a b', '_a'])('key %j is invalid', (key) => {
    expect(labelKeyProblem(key)).toBeDefined();
  });
  it.each(['', 'v', 'V-1.2_3'])('value %j is valid', (value) => {
    expect(labelValueProblem(value)).toBeUndefined();
  });
});

describe('matching', () => {
  const selector = parseSelector('env=prod,region=east');
  it.each([
    [{ env: 'prod', region: 'east' }, true],
    [{ env: 'prod', region: 'east', extra: 'x' }, true],
    [{ env: 'prod' }, false],
    [{ env: 'Prod', region: 'east' }, false],
    [{ env: 'prod', region: 'west' }, false],
    [{}, false],
  ])('%j → %s', (labels, expected) => {
    expect(selectorMatches(selector, labels)).toBe(expected);
  });

  it('does not match inherited object properties', () => {
    expect(selectorMatches(parseSelector('constructor=x'), {})).toBe(false);
  });

  it('matches an empty value only against an empty label', () => {
    expect(selectorMatches(parseSelector('tier='), { tier: '' })).toBe(true);
    expect(selectorMatches(parseSelector('tier='), {})).toBe(false);
  });

  it('selects members by their labels, in input order', () => {
    const members = [
      member('c', { labels: { mesh: 'on' } }),
      member('a', { labels: { mesh: 'off' } }),
      member('b', { labels: { mesh: 'on' } }),
    ];
    expect(selectMembers(parseSelector('mesh=on'), members).map((m) => m.name)).toEqual(['c', 'b']);
  });
});

describe('canonical form', () => {
  it('sorts pairs by key', () => {
    expect(canonicalSelector('z=1,a=2,m.io/k=3')).toBe('a=2,m.io/k=3,z=1');
  });

  it('is a zod transform naming each bad pair', () => {
    expect(SelectorTextSchema.parse('b=1,a=2')).toBe('a=2,b=1');
    const result = SelectorTextSchema.safeParse('a=1,a=2,b');
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message)).toEqual([
      "pair 2 'a=2': key 'a' is repeated (first in pair 1)",
      "pair 3 'b': the pair has no '='",
    ]);
  });
});

// Arbitraries producing valid keys and values, so the properties explore the syntax rather than bad input.
const nameChars = fc.constantFrom(...'abcXYZ019-_.'.split(''));
const alnum = fc.constantFrom(...'abcXYZ019'.split(''));
const labelName = fc
  .tuple(alnum, fc.array(nameChars, { maxLength: 8 }), alnum)
  .map(([a, mid, b]) => `${a}${mid.join('')}${b}`);
const dnsLabel = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,6}[a-z0-9])?$/);
const key = fc
  .tuple(fc.option(fc.array(dnsLabel, { minLength: 1, maxLength: 3 }), { nil: undefined }), labelName)
  .map(([prefix, name]) => (prefix ? `${prefix.join('.')}/${name}` : name));
const value = fc.oneof(fc.constant(''), labelName);
const selectorArb: fc.Arbitrary<LabelSelector> = fc
  .uniqueArray(fc.tuple(key, value), { selector: ([k]) => k, minLength: 0, maxLength: 6 })
  .map((pairs) => ({ pairs: pairs.map(([k, v]) => ({ key: k, value: v })).sort((a, b) => (a.key < b.key ? -1 : 1)) }));

describe('properties', () => {
  it('parse(print(s)) equals s, and print is idempotent on its own output', () => {
    fc.assert(
      fc.property(selectorArb, (selector) => {
        const text = printSelector(selector);
        expect(parseSelector(text)).toEqual(selector);
        expect(printSelector(parseSelector(text))).toBe(text);
      }),
    );
  });

  it('pair order in the text does not change the parsed selector', () => {
    fc.assert(
      fc.property(
        selectorArb.filter((s) => s.pairs.length > 0),
        fc.nat(),
        (selector, seed) => {
          const rotated = selector.pairs.map((_, i, all) => all[(i + seed) % all.length]);
          const text = rotated.map((p) => `${p?.key ?? ''}=${p?.value ?? ''}`).join(',');
          expect(parseSelector(text)).toEqual(selector);
        },
      ),
    );
  });

  it('a selector matches exactly the label maps that contain all its pairs', () => {
    fc.assert(
      fc.property(selectorArb, fc.dictionary(key, value), (selector, extra) => {
        const labels = { ...extra, ...Object.fromEntries(selector.pairs.map((p) => [p.key, p.value])) };
        expect(selectorMatches(selector, labels)).toBe(selector.pairs.length > 0);
        const first = selector.pairs[0];
        if (first) expect(selectorMatches(selector, { ...labels, [first.key]: `${first.value}x` })).toBe(false);
      }),
    );
  });
});
