// Hydration: every console page, loaded again and again from scratch, hydrates without a panic or
// a mismatch report. A page whose hydration fails still shows the server's HTML but is dead, so
// the only trace is in the browser console; the loads repeat because a mismatch that depends on
// timing (which answer arrives first) shows on some loads only.
import { expect, test, type Page } from '../test';
import { PAGES, shareOneSignIn } from '../console';

const LOADS = 20;

/** Console lines that report a failed hydration: the wasm panic, and debug builds' mismatch notice. */
const BROKEN = /panicked|hydrat/i;

shareOneSignIn();

/** Calls `report` with every page error and every console line that says hydration failed. */
function watchForBreakage(page: Page, report: (problem: string) => void) {
  page.on('pageerror', (error) => report(error.message));
  page.on('console', (message) => {
    if (['error', 'warning'].includes(message.type()) && BROKEN.test(message.text())) {
      report(message.text());
    }
  });
}

/** Loads `path` in full `LOADS` times and returns what went wrong, each line naming its load. */
async function loadRepeatedly(page: Page, path: string): Promise<string[]> {
  const problems: string[] = [];
  let load = 0;
  watchForBreakage(page, (problem) => problems.push(`load ${load}: ${problem}`));
  // The API docs page frames a separate document (the docs bundle), which the console does not
  // hydrate; an empty one in its place keeps twenty loads from waiting on the bundle each time.
  await page.route((url) => url.pathname.endsWith('/docs'), (route) =>
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

test('a page whose hydration fails says so, offers a reload, and is caught by this spec', async ({ page }) => {
  const problems: string[] = [];
  watchForBreakage(page, (problem) => problems.push(problem));
  // The server's page with its header cut out: the browser's render no longer matches it.
  const broken = (url: URL) => url.pathname === '/tokens';
  await page.route(broken, async (route) => {
    if (route.request().resourceType() !== 'document') return route.fallback();
    const response = await route.fetch();
    const html = (await response.text()).replace(/<header[\s\S]*?<\/header>/, '');
    await route.fulfill({ response, body: html });
  });

  await page.goto('/tokens');

  const banner = page.getByTestId('crash-banner');
  await expect(banner).toHaveText('Something went wrong — Reload');
  await expect(banner).toHaveAttribute('role', 'alert');
  await expect.poll(() => problems.length, { message: 'the failure reached the console' }).toBeGreaterThan(0);

  await page.unroute(broken);
  await banner.getByRole('link', { name: 'Reload' }).click();
  await expect(page.locator('[data-hydrated="true"]')).toBeAttached();
  await expect(banner).toHaveCount(0);
});
