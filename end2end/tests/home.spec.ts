// The landing page is rendered on the server, then hydrated: the first proof that the console works.
import { expect, test } from '@playwright/test';
import { HomePage } from '../pages/home';
import { signIn } from '../pages/login';

test.beforeEach(async ({ page }) => {
  await signIn(page);
});

test('the server sends the page content before any script runs', async ({ page }) => {
  const response = await page.request.get('/');
  expect(response.status()).toBe(200);
  const html = await response.text();
  expect(html).toContain('<h1');
  expect(html).toContain('AI Gateway');
  expect(html).toContain('Check status');
  expect(html).toContain('/pkg/ai-gateway.css');
});

test('the page reads the same with JavaScript switched off', async ({ browser, page }) => {
  const storageState = await page.context().storageState();
  const context = await browser.newContext({ javaScriptEnabled: false, storageState });
  const withoutScripts = await context.newPage();
  const home = new HomePage(withoutScripts);
  await home.open();
  await expect(home.heading).toBeVisible();
  await expect(home.heading).toHaveAttribute('data-hydrated', 'false');
  await context.close();
});

test('after hydration the status check calls the server and shows its answer', async ({ page }) => {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));

  const home = new HomePage(page);
  await home.open();
  await home.waitForHydration();
  await expect(home.statusResult).toBeEmpty();

  await home.checkStatus.click();

  await expect(home.statusResult).toContainText('SQLite database reachable');
  await expect(home.statusResult).toContainText('demo mode');
  expect(errors).toEqual([]);
});

test('the stylesheet is served and styles the page', async ({ page }) => {
  const home = new HomePage(page);
  await home.open();
  const css = await page.request.get('/pkg/ai-gateway.css');
  expect(css.status()).toBe(200);
  // Tailwind's bg-indigo-600 on the button proves the generated utilities reached the browser.
  await expect(home.checkStatus).not.toHaveCSS('background-color', 'rgba(0, 0, 0, 0)');
});
