// The overview at / is rendered on the server, then hydrated; it shows the calls made through the
// console: today's spend against the cap, the last day's calls and errors, the week's ranking.
import { expect, test, type Page } from '../test';
import { applyIntegrations } from '../cli';
import { integration } from '../fixtures';
import { DashboardPage } from '../pages/dashboard';
import { signIn } from '../pages/login';

test.beforeEach(async ({ page }) => {
  await signIn(page);
});

test('the server sends the page content before any script runs', async ({ page }) => {
  const response = await page.request.get('/');
  expect(response.status()).toBe(200);
  const html = await response.text();
  expect(html).toContain('<h1');
  expect(html).toContain('Overview');
  expect(html).toContain('Last 24 hours');
  // The stylesheet's name carries its content hash (cargo-leptos `hash-files`).
  expect(html).toMatch(/<link id="leptos" rel="stylesheet" href="\/pkg\/ai-gateway\.[\w-]{22}\.css"/);
});

test('the page reads the same with JavaScript switched off', async ({ browser, page }) => {
  const storageState = await page.context().storageState();
  const context = await browser.newContext({ javaScriptEnabled: false, storageState });
  const dashboard = new DashboardPage(await context.newPage());
  await dashboard.open();
  await expect(dashboard.heading).toBeVisible();
  await expect(dashboard.status).toContainText('SQLite database reachable');
  await expect(dashboard.hydration).toHaveAttribute('data-hydrated', 'false');
  await context.close();
});

test('the stylesheet is served and styles the page', async ({ page }) => {
  const dashboard = new DashboardPage(page);
  await dashboard.open();
  const href = await page.locator('link#leptos').getAttribute('href');
  const css = await page.request.get(href ?? '');
  expect(css.status()).toBe(200);
  expect(css.headers()['cache-control']).toBe('public, max-age=31536000, immutable');
  // Tailwind's border on the button proves the generated utilities reached the browser.
  await expect(dashboard.refresh).toHaveCSS('border-top-width', '1px');
});

/** Runs the integration's active version from the console's test panel endpoint, as the
 * signed-in admin (the tokens test expects to create the first API token itself). */
async function testRun(page: Page, integrationId: number, args: object) {
  const response = await page.request.post('/console/test-run', {
    headers: { origin: new URL(page.url()).origin },
    data: { integration_id: integrationId, args },
  });
  return response.text();
}

test('the calls made to an integration show up, with spend against its cap', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  // seed-12 (active, deleted by a later test) gets a cap; adding an integration instead would
  // push seeded rows off the list's first page that other tests expect them on.
  applyIntegrations([{ ...integration(12), daily_cap: 1_000_000_000 }]);

  const dashboard = new DashboardPage(page);
  await dashboard.open();
  await dashboard.waitForHydration();
  // The running server picks the new cap up on its own, within a second.
  await dashboard.refreshUntil(async () => {
    await expect(dashboard.spend('seed-12')).toHaveText(/ of \$1$/, { timeout: 1000 });
  });
  const href = (await dashboard.spend('seed-12').getByRole('link').getAttribute('href')) ?? '';
  const id = Number(href.split('/').pop());
  for (const question of ['One?', 'Two?', 'Three?']) {
    expect(await testRun(page, id, { question })).toContain('event: done');
  }
  expect(await testRun(page, id, {})).toContain('question');

  const ranked = (calls: string) => async () =>
    expect(dashboard.top('seed-12')).toHaveText(['seed-12', calls, '1', /^\$/], { timeout: 1000 });
  await dashboard.refreshUntil(async () => {
    await ranked('4')();
    await expect(dashboard.spend('seed-12')).not.toContainText('$0 of', { timeout: 1000 });
  });
  await expect(dashboard.spend('seed-12').getByRole('progressbar')).toBeVisible();
  // The day's totals are a resource of their own and may settle a moment after the ranking.
  await expect
    .poll(async () => Number(await dashboard.calls.textContent()), { timeout: 5000 })
    .toBeGreaterThanOrEqual(4);
  await expect(dashboard.errorRate).toContainText('%');

  // One more call, and Refresh shows it without reloading the page.
  expect(await testRun(page, id, { question: 'Four?' })).toContain('event: done');
  await dashboard.refreshUntil(ranked('5'));
  await expect(dashboard.top('seed-12').first().getByRole('link')).toHaveAttribute('href', href);
  expect(errors).toEqual([]);
});
