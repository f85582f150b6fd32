import { describe, expect, it } from 'vitest';
import { requestOrigin, requestUrlOf } from '../../../../local/host/http/httpMessages.js';

const LISTEN = 'http://127.0.0.1:7071';

describe('the origin of a request (Host header, validated)', () => {
  it.each([
    ['localhost:7071', 'http://localhost:7071'],
    ['LocalHost:7071', 'http://localhost:7071'],
    ['192.168.1.20:7071', 'http://192.168.1.20:7071'],
    ['myhost.example.com', 'http://myhost.example.com'],
    ['myhost.example.com:80', 'http://myhost.example.com'],
    ['[::1]:7071', 'http://[::1]:7071'],
    ['[fe80::1]', 'http://[fe80::1]'],
  ])('uses a well-formed Host header %s', (header, origin) => {
    expect(requestOrigin(header, LISTEN)).toBe(origin);
  });

  it.each([
    [undefined],
    [''],
    ['evil.example/path'],
    ['user@evil.example'],
    ['a b'],
    ['host:0'],
    ['host:65536'],
    ['host:'],
    ['host:12a'],
    ['-host'],
    ['[not-ipv6]:7071'],
    ['[::1'],
    ['host\r\nx: y'],
    ['x'.repeat(300)],
  ])('falls back to the listen URL for %j', (header) => {
    expect(requestOrigin(header, LISTEN)).toBe(LISTEN);
  });

  it('keeps the path and query of the request target under that origin', () => {
    expect(requestUrlOf('/api/x?code=1', 'http://localhost:7071').toString()).toBe(
      'http://localhost:7071/api/x?code=1',
    );
    // a target starting with // is a path, never another host
    expect(requestUrlOf('//evil.example/x', LISTEN).host).toBe('127.0.0.1:7071');
    expect(requestUrlOf('//evil.example/x', LISTEN).pathname).toBe('//evil.example/x');
    // absolute-form: the path and query only
    expect(requestUrlOf('http://evil.example/y?z=1', LISTEN).toString()).toBe(`${LISTEN}/y?z=1`);
    expect(requestUrlOf(undefined, LISTEN).toString()).toBe(`${LISTEN}/`);
  });
});
