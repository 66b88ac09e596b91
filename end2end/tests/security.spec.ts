// The console's Content-Security-Policy as the browser applies it: the hydrated app runs under it,
// an injected inline script does not, and the suite's guard notices the attempt. Page paths with a
// trailing slash land on the page.
import { expect, test } from '../test';
import { IntegrationsPage } from '../pages/integrations';
import { LoginPage, signIn } from '../pages/login';

test('an inline script the page did not send is blocked and reported', async ({ page, cspViolations }) => {
  const response = await page.goto('/login');
  const headers = response?.headers() ?? {};
  expect(headers['content-security-policy']).toMatch(/script-src 'self' 'wasm-unsafe-eval' 'nonce-[A-Za-z0-9_-]+'/);
  expect(headers['content-security-policy']).toContain("frame-ancestors 'self'");
  expect(headers['x-content-type-options']).toBe('nosniff');
  // The app hydrated: its own inline module script carried the nonce.
  await new LoginPage(page).waitForHydration();

  const ran = await page.evaluate(() => {
    const script = document.createElement('script');
    script.textContent = 'window.injected = true;';
    document.body.append(script);
    return (window as unknown as { injected?: boolean }).injected === true;
  });

  expect(ran).toBe(false);
  await expect.poll(() => cspViolations.length).toBeGreaterThan(0);
  expect(cspViolations.join('\n')).toContain('script-src');
  // Expected here; every other test must end with none.
  cspViolations.length = 0;
});

test('a page path with a trailing slash lands on the page', async ({ page }) => {
  await page.goto('/integrations/');
  await expect(page).toHaveURL(/\/login\?next=\/integrations$/);
  await signIn(page, '/integrations/');
  await expect(page).toHaveURL(/\/integrations$/);
  await expect(new IntegrationsPage(page).summary).toContainText('integration(s)');
});
