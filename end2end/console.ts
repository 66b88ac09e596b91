// Every page of the console, for the specs that check all of them alike (hydration, narrow
// screens, accessibility), and one sign-in shared by all the tests of such a spec file.
import type { Cookie } from '@playwright/test';
import { expect, test, type Page } from './test';
import { signIn } from './pages/login';

/** Every page of the console; integration 1 is `seed-01` (end2end/fixtures.ts). */
export const PAGES = [
  '/',
  '/integrations',
  '/integrations/new',
  '/integrations/1',
  '/integrations/1/versions',
  '/invocations',
  '/settings',
  '/tokens',
  '/docs',
];

/** Signs in once before the file's tests; each test's browser starts with that session cookie. */
export function shareOneSignIn() {
  let session: Cookie[] = [];
  test.beforeAll(async ({ browser }) => {
    const context = await browser.newContext();
    await signIn(await context.newPage());
    session = await context.cookies();
    await context.close();
  });
  test.beforeEach(async ({ context }) => {
    await context.addCookies(session);
  });
}

/** Opens `path` and waits until the page is hydrated and has loaded what it shows. */
export async function openSettled(page: Page, path: string) {
  await page.goto(path);
  await expect(page.locator('[data-hydrated="true"]').first()).toBeAttached();
  // The docs frame keeps a connection open; its own content is not the console's.
  if (path !== '/docs') await page.waitForLoadState('networkidle');
}
