/**
 * The status page (`GET /api/ui`) in real headless Chromium (Debian's `chromium`, driven by playwright-core) against
 * the whole sandbox: it loads, shows both members Connected after convergence (in the picture and the table), with
 * their VNets peered, the Traffic Manager weights and monitor status, the latest plan with when it was computed and
 * what became of it, and the remediation in the timeline (once); the key leaves the address
 * bar; keyboard navigation reaches every region; reduced motion is honoured. A screenshot is saved as an artifact
 * (`test-results/status-page.png`; `FLEETMESH_UPDATE_SCREENSHOT=1` also refreshes `docs/images/status-page.png`).
 *
 * Skips, saying why, where /usr/bin/chromium is not installed (`apt-get install chromium`; .ci/run does it).
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../../local/sandbox/sandbox.js';
import { arr, obj, startE2E, waitFor, type E2E } from '../support/harness.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const root = projectRoot();
const screenshot = path.join(root, 'test-results', 'status-page.png');

if (!hasChromium) {
  console.warn(
    `status page browser test SKIPPED: ${CHROMIUM} not found; install it with 'apt-get install chromium' (.ci/run does)`,
  );
}

describe.skipIf(!hasChromium)(
  hasChromium
    ? 'the status page in headless Chromium'
    : `the status page in headless Chromium — SKIPPED: ${CHROMIUM} not found (apt-get install chromium)`,
  () => {
    let started: E2E | undefined;
    let context: BrowserContext | undefined;
    let page: Page;
    let userDataDir: string;
    const pageErrors: string[] = [];

    beforeAll(async () => {
      started = await startE2E();
      const e2e = started;
      // The demo mesh converges by itself (auto policy): wait for it through the API first.
      await waitFor(
        'both members Connected with two enabled endpoints',
        async () => {
          const view = obj((await e2e.api('GET', '/meshes/demo')).json);
          const connected = arr(view.members).filter((m) => obj(m).meshState === 'Connected').length;
          const tm = view.trafficManager;
          const enabled = tm ? arr(obj(tm).endpoints).filter((e) => obj(e).status === 'Enabled').length : 0;
          return connected === 2 && enabled === 2 ? view : undefined;
        },
        { timeoutMs: 120_000 },
      );
      // Then converged as the README's screenshot shows it: a resync (asked for by putting the policy back as it is)
      // re-plans (every member unchanged) and re-reads Traffic Manager once its probes have found the endpoints Online.
      let askedAt = 0;
      await waitFor(
        'a plan with every member unchanged and both endpoints monitored Online',
        async () => {
          const view = obj((await e2e.api('GET', '/meshes/demo')).json);
          const rows = view.lastPlan ? arr(obj(obj(view.lastPlan).plan).rows).map((r) => obj(r).action) : [];
          const tm = view.trafficManager;
          const online = tm ? arr(obj(tm).endpoints).filter((e) => obj(e).monitorStatus === 'Online').length : 0;
          if (rows.length === 2 && rows.every((a) => a === 'None') && online === 2) return view;
          if (Date.now() - askedAt > 3_000) {
            askedAt = Date.now();
            const put = await e2e.api('PUT', '/meshes/demo/policy', view.policy);
            if (put.status !== 200) throw new Error(`PUT policy answered ${put.status}: ${put.text}`);
          }
          return undefined;
        },
        { timeoutMs: 120_000, intervalMs: 500 },
      );
      userDataDir = mkdtempSync(path.join(tmpdir(), 'fleetmesh-chromium-'));
      context = await chromium.launchPersistentContext(userDataDir, {
        executablePath: CHROMIUM,
        headless: true,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
        viewport: { width: 1280, height: 900 },
      });
      page = context.pages()[0] ?? (await context.newPage());
      page.on('pageerror', (e) => pageErrors.push(e.message));
    });

    afterAll(async () => {
      await context?.close();
      await started?.stop();
      if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    });

    const sandbox = (): E2E => {
      if (!started) throw new Error('the sandbox did not start');
      return started;
    };

    it('loads and shows both members Connected, with Cilium ids, their VNets peered, weights and the remediation', async () => {
      const e2e = sandbox();
      await page.goto(`${e2e.sandbox.apiBaseUrl}/ui?refresh=1#code=${encodeURIComponent(e2e.sandbox.functionKey)}`);
      await page.waitForSelector('html[data-state="ready"]', { timeout: 30_000 });
      // The key is taken out of the address bar at once.
      expect(page.url()).not.toContain(e2e.sandbox.functionKey);
      expect(page.url()).toBe(`${e2e.sandbox.apiBaseUrl}/ui?refresh=1`);

      const rows = page.locator('#mesh-body table tbody tr');
      await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(2);
      const members = await Promise.all(
        [0, 1].map(async (i) => (await rows.nth(i).locator('th,td').allTextContents()).map((t) => t.trim())),
      );
      expect(members.map((r) => [r[0], r[1]])).toEqual([
        ['member-east', '✓ Connected'],
        ['member-west', '✓ Connected'],
      ]);
      expect(members.map((r) => r[3])).toEqual(['vnet-east', 'vnet-west']);
      expect(new Set(members.map((r) => r[2])).size).toBe(2);

      // The picture: two Connected nodes, each VNet a group, the pair peered; described for screen readers.
      expect(await page.locator('svg.mesh .member.tone-good').count()).toBe(2);
      expect(await page.locator('svg.mesh .vnet').count()).toBe(2);
      expect(await page.locator('svg.mesh .link.peered').count()).toBe(1);
      const description = await page.locator('#mesh-svg-desc').textContent();
      expect(description).toMatch(/member-east \(Connected, Cilium id \d+\)/);
      expect(description).toContain('VNet vnet-east and VNet vnet-west are peered.');

      const traffic = await page.locator('#traffic-body tbody tr').allTextContents();
      expect(traffic).toHaveLength(2);
      for (const row of traffic) expect(row).toMatch(/500 \(50% of traffic\).*Enabled.*Online/);

      // The plan says what it is: the reconciler's last one, when it was computed and what became of it.
      expect(await page.locator('#plan-body .lead').textContent()).toBe(
        '0 to add, 0 to remove, 2 unchanged, 0 in error.',
      );
      const provenance = await page.locator('#plan-body .provenance').textContent();
      expect(provenance).toMatch(/^The reconciler's last plan, computed at .+ \((just now|\d+ min ago)\)\. /);
      expect(provenance).toMatch(/nothing to add or remove/i);
      expect(await page.locator('#plan-body .stale').count()).toBe(0);

      // The first apply: West's fix before the apply is said once, on West's line.
      const timeline = (await page.locator('#operations-body .timeline').textContent()) ?? '';
      const fix = 'remediation before the apply: grantNetworkContributor on vnet-west, then reconcileCluster succeeded';
      expect(timeline).toContain(`member-west: Add → Succeeded (Connected); ${fix}`);
      expect(timeline.split(fix)).toHaveLength(2);
      expect(await page.locator('#announce').textContent()).toContain('2 of 2 member(s) Connected');

      mkdirSync(path.dirname(screenshot), { recursive: true });
      await page.screenshot({ path: screenshot, fullPage: true });
      expect(existsSync(screenshot)).toBe(true);
      if (process.env.FLEETMESH_UPDATE_SCREENSHOT === '1') {
        mkdirSync(path.join(root, 'docs', 'images'), { recursive: true });
        copyFileSync(screenshot, path.join(root, 'docs', 'images', 'status-page.png'));
      }
      expect(pageErrors).toEqual([]);
    });

    it('keyboard: Tab reaches the skip link first, then every region; the skip links move focus', async () => {
      // The browser side runs as text (this project's TypeScript has no DOM types outside ui/client).
      await page.evaluate('document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)');
      await page.keyboard.press('Tab');
      expect(await page.evaluate('document.activeElement?.textContent ?? null')).toBe('Skip to the mesh status');

      const reached = new Set<string>();
      for (let i = 0; i < 40 && reached.size < 4; i++) {
        await page.keyboard.press('Tab');
        const region = await page.evaluate("document.activeElement?.closest('section')?.id ?? null");
        if (typeof region === 'string') reached.add(region);
      }
      expect([...reached].sort()).toEqual(['mesh', 'operations', 'plan', 'traffic']);

      await page.locator('nav a[href="#traffic-h"]').focus();
      await page.keyboard.press('Enter');
      expect(await page.evaluate('document.activeElement?.id ?? null')).toBe('traffic-h');
    });

    it('honours prefers-reduced-motion and keeps refreshing by itself', async () => {
      await page.emulateMedia({ reducedMotion: 'reduce' });
      const transition = await page.evaluate(
        "getComputedStyle(document.querySelector('.bar-fill')).transitionDuration",
      );
      expect(transition).toBe('0s');
      const first = await page.locator('#updated').textContent();
      await expect.poll(() => page.locator('#updated').textContent(), { timeout: 15_000 }).not.toBe(first);
    });

    it('asks for a key when the API refuses the one it was given, with the input focused and labelled', async () => {
      await page.goto(`${sandbox().sandbox.apiBaseUrl}/ui#code=not-the-key`);
      await page.locator('#key-form').waitFor({ state: 'visible', timeout: 15_000 });
      expect(await page.locator('#key-message').textContent()).toContain('the function key was refused');
      expect(await page.evaluate('document.activeElement?.id ?? null')).toBe('key-input');
      expect(await page.getByLabel('Function key').count()).toBe(1);
      expect(page.url()).not.toContain('not-the-key');
    });
  },
);
