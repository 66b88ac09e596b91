// Hydration: every console page, loaded again and again from scratch, hydrates without a panic or
// a mismatch report. A page whose hydration fails still shows the server's HTML but is dead, so
// the only trace is in the browser console; the loads repeat because a mismatch that depends on
// timing (which answer arrives first) shows on some loads only.
import { expect, test, type Page } from '../test';
import type { Cookie } from '@playwright/test';
import { signIn } from '../pages/login';

const LOADS = 20;

/** Every page of the console; integration 1 is `seed-01` (end2end/fixtures.ts). */
const PAGES = [
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

/** Console lines that report a failed hydration: the wasm panic, and debug builds' mismatch notice. */
const BROKEN = /panicked|hydrat/i;

// One sign-in for the file; each test's browser starts with its session cookie.
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

/** Loads `path` in full `LOADS` times and returns what went wrong, each line naming its load. */
async function loadRepeatedly(page: Page, path: string): Promise<string[]> {
  const problems: string[] = [];
  let load = 0;
  page.on('pageerror', (error) => problems.push(`load ${load}: ${error.message}`));
  page.on('console', (message) => {
    if (['error', 'warning'].includes(message.type()) && BROKEN.test(message.text())) {
      problems.push(`load ${load}: ${message.text()}`);
    }
  });
  // The API docs page frames a separate document (the docs bundle), which the console does not
  // hydrate; an empty one in its place keeps twenty loads from waiting on the bundle each time.
  await page.route('**/docs', (route) =>
    route.request().frame().parentFrame()
      ? route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>API docs</title>' })
      : route.fallback(),
  );
  const hydrated = page.locator('[data-hydrated="true"]');
  for (load = 1; load <= LOADS; load++) {
    const before = problems.length;
    await page.goto(path, { waitUntil: 'domcontentloaded' });
    // Either the app marks itself hydrated (effects run after hydration) or it reports a failure.
    await expect
      .poll(async () => problems.length > before || (await hydrated.count()) > 0, {
        message: `load ${load} of ${path} neither hydrated nor failed`,
        intervals: [20],
      })
      .toBe(true);
  }
  return problems;
}

for (const path of PAGES) {
  test(`${path} hydrates cleanly on ${LOADS} full loads`, async ({ page }) => {
    const problems = await loadRepeatedly(page, path);
    const crashed = new Set(problems.map((p) => p.split(':')[0])).size;
    expect(problems, `${crashed} of ${LOADS} loads of ${path} failed to hydrate`).toEqual([]);
  });
}
