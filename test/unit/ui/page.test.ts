/** The `ui` function's page: a self-contained shell under a nonce CSP, with the landmarks the script fills. */
import { HttpRequest } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { renderPage, securityHeaders, serveStatusPage } from '../../../ui/page.js';

function text(body: unknown): string {
  if (typeof body !== 'string') throw new Error('expected a string body');
  return body;
}

const request = (query = ''): HttpRequest =>
  new HttpRequest({ url: `http://localhost:7071/api/ui${query}`, method: 'GET' });

describe('serveStatusPage', () => {
  it('inlines the script and the styles under a fresh nonce and allows nothing from elsewhere', async () => {
    const first = await serveStatusPage(request(), () => Promise.resolve('console.log("app")'));
    const second = await serveStatusPage(request(), () => Promise.resolve('console.log("app")'));
    expect(first.status).toBe(200);
    const headers = new Headers(first.headers);
    const csp = headers.get('content-security-policy') ?? '';
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/https?:/);
    expect(headers.get('referrer-policy')).toBe('no-referrer');
    expect(headers.get('cache-control')).toBe('no-store');
    const html = text(first.body);
    expect(html).toContain(`<script type="module" nonce="${nonce}">console.log("app")</script>`);
    expect(html).toContain(`<style nonce="${nonce}">`);
    expect(html).not.toMatch(/<(script|link)[^>]+(src|href)=/);
    const other = /script-src 'nonce-([^']+)'/.exec(
      new Headers(second.headers).get('content-security-policy') ?? '',
    )?.[1];
    expect(other).not.toBe(nonce);
  });

  it('takes ?refresh in seconds within 1-300, else 5 s', async () => {
    const load = () => Promise.resolve('');
    expect(text((await serveStatusPage(request('?refresh=2'), load)).body)).toContain('data-refresh-ms="2000"');
    expect(text((await serveStatusPage(request('?refresh=0'), load)).body)).toContain('data-refresh-ms="5000"');
    expect(text((await serveStatusPage(request('?refresh=abc'), load)).body)).toContain('data-refresh-ms="5000"');
  });

  it('says how to build the page when the bundle is missing', async () => {
    const r = await serveStatusPage(request(), () => Promise.reject(new Error('ENOENT')));
    expect(r.status).toBe(500);
    expect(text(r.body)).toContain('npm run build');
  });
});

describe('renderPage', () => {
  const html = renderPage({ script: '', nonce: 'n' });

  it('has the landmarks, the headings the skip links point at, and a polite live region', () => {
    for (const id of ['mesh', 'plan', 'traffic', 'operations']) {
      expect(html).toContain(`<section id="${id}" aria-labelledby="${id}-h">`);
      expect(html).toContain(`href="#${id}-h"`);
      expect(html).toContain(`id="${id}-h" tabindex="-1"`);
    }
    expect(html).toContain('role="status" aria-live="polite"');
    expect(html).toContain('<html lang="en"');
    expect(html).toContain('<label for="key-input">Function key</label>');
  });

  it('refuses a script that would end the script element early', () => {
    expect(() => renderPage({ script: 'x = "</script>"', nonce: 'n' })).toThrow('must not contain </script');
  });

  it('sends HTML with a CSP naming the nonce', () => {
    expect(securityHeaders('abc')['Content-Security-Policy']).toContain("script-src 'nonce-abc'");
  });
});
