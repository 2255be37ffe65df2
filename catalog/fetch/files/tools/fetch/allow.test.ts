import { describe, expect, it } from 'vitest';
import { matchEntry, parseEntry, type AllowEntry } from './allow.ts';

const entries = (...texts: string[]) => texts.map((t) => parseEntry(t) as AllowEntry);

describe('allow entries', () => {
  it.each([
    ['api.example.org', { kind: 'host', host: 'api.example.org', port: undefined }],
    ['API.Example.org:8443', { kind: 'host', host: 'api.example.org', port: 8443 }],
    ['*.example.com', { kind: 'subdomains', host: 'example.com', port: undefined }],
    ['*', { kind: 'any', host: '', port: undefined }],
    ['*:8080', { kind: 'any', host: '', port: 8080 }],
    ['127.0.0.1:8080', { kind: 'address', host: '127.0.0.1', port: 8080 }],
    ['[0:0::1]:8080', { kind: 'address', host: '::1', port: 8080 }],
    ['localhost', { kind: 'localhost', host: 'localhost', port: undefined }],
  ])('%s', (text, want) => {
    expect(parseEntry(text)).toEqual({ text, ...want });
  });

  it.each(['http://a.org', 'a.org/path', 'u@a.org', 'a.*.org', '*.', 'a.org:0', 'a.org:70000', '[::1', '[nope]:80', '', 'a b'])('refuses %j', (text) => {
    expect(typeof parseEntry(text)).toBe('string');
  });

  it('a host without a port takes its scheme\'s default port only', () => {
    const e = entries('api.example.org');
    expect(matchEntry(e, 'api.example.org', 443, 'https:')).toBeDefined();
    expect(matchEntry(e, 'api.example.org', 80, 'http:')).toBeDefined();
    expect(matchEntry(e, 'api.example.org', 8443, 'https:')).toBeUndefined();
    expect(matchEntry(e, 'API.EXAMPLE.ORG.', 443, 'https:')).toBeDefined();
  });

  it('wildcards: subdomains at any depth, never the parent or a look-alike', () => {
    const e = entries('*.example.com');
    expect(matchEntry(e, 'a.example.com', 443, 'https:')).toBeDefined();
    expect(matchEntry(e, 'a.b.example.com', 443, 'https:')).toBeDefined();
    expect(matchEntry(e, 'example.com', 443, 'https:')).toBeUndefined();
    expect(matchEntry(e, 'badexample.com', 443, 'https:')).toBeUndefined();
    expect(matchEntry(e, 'example.com.evil.org', 443, 'https:')).toBeUndefined();
  });

  it('addresses match in any spelling', () => {
    expect(matchEntry(entries('[::1]:8080'), '0:0:0:0:0:0:0:1', 8080, 'http:')).toBeDefined();
    expect(matchEntry(entries('127.0.0.1:8080'), '127.0.0.1', 8081, 'http:')).toBeUndefined();
  });
});
