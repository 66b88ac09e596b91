// `make transfer`: what a first visit to the overview costs on the wire, against the release build
// (`make build`: hashed names, brotli and gzip variants). Not part of `make test`: the debug site
// the console tests use is neither optimised nor precompressed.
import { expect, test } from '@playwright/test';
import { DashboardPage } from '../pages/dashboard';
import { signIn } from '../pages/login';

const BUDGET_BYTES = 700 * 1024;

test('a cold load of the overview, signed in, stays within the budget', async ({ browser, page }) => {
  await signIn(page);
  // A new context has an empty HTTP cache; only the session cookie comes along.
  const storageState = await page.context().storageState();
  const context = await browser.newContext({ storageState });
  const cold = await context.newPage();
  const cdp = await context.newCDPSession(cold);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  const urls = new Map<string, string>();
  const sizes: { url: string; bytes: number }[] = [];
  cdp.on('Network.requestWillBeSent', (event) => urls.set(event.requestId, event.request.url));
  // Bytes received over the connection for each response: headers and the encoded body.
  cdp.on('Network.loadingFinished', (event) =>
    sizes.push({ url: urls.get(event.requestId) ?? '?', bytes: event.encodedDataLength }),
  );

  const dashboard = new DashboardPage(cold);
  await dashboard.open();
  await dashboard.waitForHydration();
  await cold.waitForLoadState('networkidle');

  const total = sizes.reduce((sum, { bytes }) => sum + bytes, 0);
  for (const { url, bytes } of sizes) console.log(`${(bytes / 1024).toFixed(1).padStart(8)} KB  ${url}`);
  console.log(`${(total / 1024).toFixed(1).padStart(8)} KB  total, ${sizes.length} responses`);
  expect(total).toBeLessThan(BUDGET_BYTES);
  await context.close();
});
