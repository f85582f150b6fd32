/**
 * The status page, served by the `ui` function (`GET /api/ui`): an HTML shell with the stylesheet and the bundled
 * script inlined under a per-response CSP nonce, so it works offline and loads nothing from anywhere else.
 *
 * Authorisation: the shell is anonymous on purpose. It holds no data; every fact on the page comes from the API,
 * called by the script with the function key in `x-functions-key`. The key reaches the page in the URL fragment
 * (`/api/ui#code=<key>`), which browsers never send to a server, so it appears in no request log; the script moves
 * it to this tab's sessionStorage and removes it from the address bar. Without a key, the page asks for one.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { STYLES } from './styles.js';

export interface PageOptions {
  /** The bundled script (dist/ui/app.js). */
  readonly script: string;
  readonly nonce: string;
  /** Auto-refresh interval (default 5000 ms). */
  readonly refreshMs?: number;
}

export function renderPage(options: PageOptions): string {
  if (/<\/script/i.test(options.script)) throw new Error('the status page script must not contain </script');
  const nonce = options.nonce;
  return `<!doctype html>
<html lang="en" data-refresh-ms="${options.refreshMs ?? 5000}" data-state="loading">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>fleetmesh status</title>
<style nonce="${nonce}">${STYLES}</style>
</head>
<body>
<a class="skip" href="#main">Skip to the mesh status</a>
<header>
  <h1>fleetmesh · mesh <span id="title-profile">…</span></h1>
  <div class="toolbar">
    <label for="profile">Mesh profile</label>
    <select id="profile" disabled><option>loading…</option></select>
    <button type="button" id="refresh">Refresh now</button>
    <button type="button" id="pause" aria-pressed="false">Pause auto-refresh</button>
  </div>
  <p class="status-line" id="updated">Loading…</p>
  <p class="visually-hidden" id="announce" role="status" aria-live="polite" aria-atomic="true"></p>
  <nav aria-label="Sections">
    <ul>
      <li><a href="#mesh-h">Mesh</a></li>
      <li><a href="#plan-h">Latest plan</a></li>
      <li><a href="#traffic-h">Traffic Manager</a></li>
      <li><a href="#operations-h">Recent operations</a></li>
    </ul>
  </nav>
</header>
<div id="alert" role="alert" hidden></div>
<form id="key-form" hidden>
  <p id="key-message"></p>
  <label for="key-input">Function key</label>
  <input id="key-input" type="password" autocomplete="off" spellcheck="false" required>
  <button type="submit">Connect</button>
  <p class="note">Kept in this browser tab only (sessionStorage). Tip: open the page as /api/ui#code=&lt;key&gt;.</p>
</form>
<main id="main" tabindex="-1">
  <section id="mesh" aria-labelledby="mesh-h">
    <h2 id="mesh-h" tabindex="-1">Mesh</h2>
    <div id="mesh-body"><p>Loading…</p></div>
  </section>
  <section id="plan" aria-labelledby="plan-h">
    <h2 id="plan-h" tabindex="-1">Latest plan</h2>
    <button type="button" id="plan-now">Compute a fresh plan</button>
    <div id="plan-body"><p>Loading…</p></div>
  </section>
  <section id="traffic" aria-labelledby="traffic-h">
    <h2 id="traffic-h" tabindex="-1">Traffic Manager</h2>
    <div id="traffic-body"><p>Loading…</p></div>
  </section>
  <section id="operations" aria-labelledby="operations-h">
    <h2 id="operations-h" tabindex="-1">Recent operations</h2>
    <div id="operations-body"><p>Loading…</p></div>
  </section>
</main>
<script type="module" nonce="${nonce}">${options.script}</script>
</body>
</html>
`;
}

export function securityHeaders(nonce: string): Record<string, string> {
  return {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': [
      "default-src 'none'",
      `script-src 'nonce-${nonce}'`,
      `style-src 'nonce-${nonce}'`,
      "connect-src 'self'",
      "img-src 'self' data:",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Cache-Control': 'no-store',
  };
}

let script: Promise<string> | undefined;

/** dist/ui/app.js, built by `npm run build` (esbuild) next to this module's compiled file. */
export function loadScript(): Promise<string> {
  script ??= readFile(new URL('./app.js', import.meta.url), 'utf8').catch((e: unknown) => {
    script = undefined;
    throw e;
  });
  return script;
}

/** The `ui` function's handler. `?refresh=<seconds>` (1-300) sets the auto-refresh interval. */
export async function serveStatusPage(
  request: HttpRequest,
  load: () => Promise<string> = loadScript,
): Promise<HttpResponseInit> {
  let code: string;
  try {
    code = await load();
  } catch {
    return {
      status: 500,
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
      body: 'the status page is not built: run npm run build (it bundles ui/client into dist/ui/app.js)',
    };
  }
  const refresh = Number(request.query.get('refresh') ?? '5');
  const refreshMs = Number.isFinite(refresh) && refresh >= 1 && refresh <= 300 ? Math.round(refresh * 1000) : 5000;
  const nonce = randomBytes(18).toString('base64');
  return { status: 200, headers: securityHeaders(nonce), body: renderPage({ script: code, nonce, refreshMs }) };
}
