import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { testConfig } from '../src/config.js';
import { makeApp, record } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const INSTALL_SCRIPT = fileURLToPath(new URL('../scripts/install-browser.sh', import.meta.url));
const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));
const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Known before any test runs: whether a browser is here or the setup script could install one (root with apt-get). */
const installable = existsSync(CHROMIUM) || (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get'));
const cannotInstall = `no browser at ${CHROMIUM}, and scripts/install-browser.sh cannot install one here (it needs root and apt-get)`;
if (!installable) console.warn(`Skipping the browser tests: ${cannotInstall}.`);

describe.skipIf(!installable)('in a headless browser (Chromium at /usr/bin/chromium)', () => {
  let app: FastifyInstance;
  let browser: Browser | undefined;
  let base = '';
  /** Why the browser tests skip, when the install script ran but could not install a browser. */
  let unavailable: string | undefined;

  beforeAll(async () => {
    try {
      const { stdout } = await promisify(execFile)('sh', [INSTALL_SCRIPT], { timeout: 660_000 });
      if (stdout.trim()) console.info(stdout.trim());
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr?.trim();
      unavailable = `scripts/install-browser.sh could not install Chromium: ${stderr || (error as Error).message}`;
      console.warn(`Skipping the browser tests: ${unavailable}`);
      return;
    }
    app = await buildApp(testConfig({ DATABASE_PATH: ':memory:' }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    if (!address || typeof address === 'string') throw new Error('the server has no TCP address');
    base = `http://127.0.0.1:${address.port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS, timeout: 20_000 });
  }, 700_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  /** A page that may only talk to our server: the page and the docs must not need the network. */
  async function openPage(): Promise<{ page: Page; external: string[] }> {
    const page = await browser!.newPage({ viewport: { width: 1100, height: 900 } });
    page.setDefaultTimeout(10_000);
    const external: string[] = [];
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(base) || url.startsWith('data:')) return route.continue();
      external.push(url);
      return route.abort();
    });
    return { page, external };
  }

  it('/docs lists every operation of the OpenAPI document', async (ctx) => {
    ctx.skip(unavailable !== undefined, unavailable);
    const { page } = await openPage();
    await page.goto(`${base}/docs`);
    await page.locator('.opblock').first().waitFor();
    expect(await page.getByText('Get a platform’s full record', { exact: true }).isVisible()).toBe(true);

    type Item = Record<string, { operationId: string; tags: string[] }>;
    const document = app.swagger() as unknown as { paths: Record<string, Item>; webhooks: Record<string, Item> };
    const operations = Object.values(document.paths).flatMap((item) => Object.values(item));
    // The webhook the registry sends is listed too (OpenAPI 3.1 `webhooks`), in a section of its own.
    const webhooks = Object.values(document.webhooks).flatMap((item) => Object.values(item));
    expect(operations.length).toBeGreaterThanOrEqual(12);
    for (const op of operations) {
      // With deepLinking, swagger-ui gives each operation the id operations-<tag>-<operationId>.
      const block = page.locator(`[id="operations-${op.tags[0]}-${op.operationId}"]`);
      expect(await block.isVisible(), op.operationId).toBe(true);
    }
    expect(await page.locator('[id="operations-Platforms-listPlatforms"] .opblock-summary-path').textContent()).toContain('/v1/platforms');
    expect(await page.locator('.opblock').count()).toBe(operations.length + webhooks.length);
    await page.close();
  });

  it('/ shows a UK Android user the LinkedIn steps from the registry, with sources, and no external requests', async (ctx) => {
    ctx.skip(unavailable !== undefined, unavailable);
    const expected = await app.services.platforms.optOut('linkedin', { region: 'GB', device: 'android' });
    const expectedSteps = expected.settings.flatMap((s) => s.paths.filter((p) => p.device === 'android').map((p) => p.steps));
    expect(expectedSteps.length).toBeGreaterThan(0);

    const { page, external } = await openPage();
    const response = await page.goto(`${base}/`);
    expect(response?.status()).toBe(200);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    // A person's path: type the name, pick the country and device, search.
    await page.getByLabel('Platform', { exact: true }).fill('LinkedIn');
    await page.getByLabel('Your country or region').selectOption('GB');
    await page.getByLabel('Your device').selectOption('android');
    await Promise.all([page.waitForURL(/region=GB/), page.getByRole('button', { name: 'Search' }).click()]);

    expect(await page.getByRole('heading', { level: 2, name: 'LinkedIn in United Kingdom, on Android app' }).isVisible()).toBe(true);
    const shown = await page
      .locator('ol.steps[data-device="android"]')
      .evaluateAll((lists) => lists.map((ol) => [...ol.querySelectorAll('li')].map((li) => li.textContent ?? '')));
    expect(shown).toEqual(expectedSteps);
    expect(await page.locator('ol.steps:not([data-device="android"])').count()).toBe(0);

    const verdict = expected.trainingByDefault === true ? 'Yes' : expected.trainingByDefault === false ? 'No' : 'Unknown';
    expect(await page.locator('.answer .badge').first().textContent()).toBe(verdict);
    expect(await page.locator('.answer').textContent()).toContain(`Last checked against its sources on ${expected.platform.lastVerified}`);
    const sourceLinks = await page.locator('#sources + ul a').evaluateAll((links) => links.map((a) => a.getAttribute('href')));
    expect(sourceLinks).toEqual(expected.sources.map((s) => s.url));
    for (const url of new Set(expected.settings.map((s) => s.optOutUrl).filter(Boolean))) {
      expect(await page.locator(`a[href="${url}"]`).count(), String(url)).toBeGreaterThan(0);
    }
    expect(external).toEqual([]);
    // Fits a phone: nothing wider than the screen (the country list has long names).
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await page.setViewportSize({ width: 1100, height: 900 });

    mkdirSync(ARTIFACTS, { recursive: true });
    const file = `${ARTIFACTS}home-linkedin-gb-android.png`;
    await page.screenshot({ path: file, fullPage: true });
    expect(statSync(file).size).toBeGreaterThan(10_000);
    await page.close();
  });
});

describe('/ without a browser', () => {
  it('escapes what the person typed and answers 200 with the search results', async () => {
    const app = await makeApp();
    const res = await app.inject('/?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).not.toContain('<script>alert(1)');
    expect(res.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    // Our own stylesheet is inserted as it is (escaped, `form>div` would stop matching).
    expect(res.body).toContain('form>div{');
  });

  it('lists every platform with its answer for the chosen region, from the same service as the API', async () => {
    const app = await makeApp();
    const res = await app.inject('/?region=de');
    expect(res.statusCode).toBe(200);
    const list = await app.services.platforms.list({ region: 'DE', limit: 100 });
    for (const p of list.data) expect(res.body, p.slug).toContain(`href="/?platform=${p.slug}&amp;region=DE"`);
    expect(res.body).toContain('<option value="DE" selected>Germany</option>');
  });

  it('marks answers backed by press only or unconfirmed, and warns when a record was last checked long ago', async () => {
    const app = await makeApp();
    const list = await app.services.platforms.list({ limit: 100 });
    const weak = list.data.find((p) => p.evidence === 'secondary') ?? list.data.find((p) => p.evidence === 'unconfirmed');
    expect(weak, 'the seed has answers resting on press reports or unconfirmed facts').toBeDefined();
    const marker = weak!.evidence === 'secondary' ? 'Press reports only' : 'Unconfirmed';
    const page = await app.inject(`/?platform=${weak!.slug}`);
    expect(page.body).toContain(marker);
    expect(page.body).toContain(`Last checked against its sources on ${weak!.lastVerified}`);
    expect(page.body).not.toContain('may be out of date');
    // A record last verified more than 180 days ago carries a warning on its page and in the list.
    await record(app, { message: 'Old check', operations: [{ op: 'patch', slug: weak!.slug, patch: { lastVerified: '2025-01-02' } }] });
    const stale = await app.inject(`/?platform=${weak!.slug}`);
    expect(stale.body).toMatch(/Last checked against its sources on 2025-01-02<\/strong>, \d+ days ago/);
    expect(stale.body).toContain('may be out of date');
    expect((await app.inject('/')).body).toContain('may be out of date');
  });

  it('answers an unknown region or device with a friendly 400 page saying how to pick', async () => {
    const app = await makeApp();
    const res = await app.inject('/?region=XX&device=fax');
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('We do not know that country or region.');
    expect(res.body).toContain('Pick your country from the list');
    expect(res.body).toContain('EU (European Union)');
    expect(res.body).toContain('android (Android app)');
  });

  it('answers an unknown platform with a 404 page, not a problem document', async () => {
    const app = await makeApp();
    const res = await app.inject('/?platform=no-such-platform');
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('There is no platform');
  });

  it('is not part of the OpenAPI document', async () => {
    const app = await makeApp();
    const document = app.swagger() as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths)).not.toContain('/');
  });
});
