// The overview at / is rendered on the server, then hydrated; it shows the calls made through the
// public API: today's spend against the cap, the last day's calls and errors, the week's ranking.
import { expect, test, type APIRequestContext } from '@playwright/test';
import { applyIntegrations, cli } from '../cli';
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
  expect(html).toContain('/pkg/ai-gateway.css');
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
  const css = await page.request.get('/pkg/ai-gateway.css');
  expect(css.status()).toBe(200);
  // Tailwind's border on the button proves the generated utilities reached the browser.
  await expect(dashboard.refresh).toHaveCSS('border-top-width', '1px');
});

/** Calls `slug` over the public API with a token made by the CLI, as a client would. */
async function call(request: APIRequestContext, token: string, slug: string, args: object) {
  return request.post(`/api/ai/${slug}/chat`, {
    headers: { Authorization: `Bearer ${token}` },
    data: { args },
  });
}

test('the calls made through the API show up, with spend against the cap', async ({ page, request }) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  const seeded = integration(1);
  applyIntegrations([
    { ...seeded, slug: 'dashboard-demo', name: 'Dashboard demo', visibility: 'public', daily_cap: 1_000_000_000 },
  ]);
  const token = cli('token', 'create', '--name', 'e2e-dashboard').trim().split('\n').pop() ?? '';
  // The running server picks the new integration up on its own.
  await expect
    .poll(async () => JSON.stringify(await (await request.get('/api/ai/openapi.json')).json()))
    .toContain('/api/ai/dashboard-demo/chat');
  for (const question of ['One?', 'Two?', 'Three?']) {
    expect((await call(request, token, 'dashboard-demo', { question })).status()).toBe(200);
  }
  expect((await call(request, token, 'dashboard-demo', {})).status()).toBe(422);

  const dashboard = new DashboardPage(page);
  await dashboard.open();
  await dashboard.waitForHydration();
  await expect(dashboard.spend('dashboard-demo')).toContainText('of $1.00');
  await expect(dashboard.spend('dashboard-demo').getByRole('progressbar')).toBeVisible();
  const ranked = (calls: string) => async () =>
    expect(dashboard.top('dashboard-demo')).toHaveText(['dashboard-demo', calls, '1', /^\$/], { timeout: 1000 });
  await dashboard.refreshUntil(ranked('4'));
  expect(Number(await dashboard.calls.textContent())).toBeGreaterThanOrEqual(4);
  await expect(dashboard.errorRate).toContainText('%');

  // One more call, and Refresh shows it without reloading the page.
  expect((await call(request, token, 'dashboard-demo', { question: 'Four?' })).status()).toBe(200);
  await dashboard.refreshUntil(ranked('5'));
  await expect(dashboard.top('dashboard-demo').first().getByRole('link')).toHaveAttribute('href', /\/integrations\/\d+$/);
  expect(errors).toEqual([]);
});
