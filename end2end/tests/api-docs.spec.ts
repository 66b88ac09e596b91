// The interactive API docs render from the gateway's own assets, with no network beyond localhost.
import { expect, test } from '../test';
import { ApiDocsPage } from '../pages/api-docs';
import { signIn } from '../pages/login';

test('the API docs render offline from the bundle this server serves', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  // A content-security-policy refusal or a missing asset shows up as a console error.
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });

  const docs = new ApiDocsPage(page);
  await docs.openOffline();

  await expect(docs.openAiGroup).toBeVisible({ timeout: 20_000 });
  // seed-02 is public, seed-01 internal (see fixtures.ts).
  await expect(docs.integration('seed-02')).toBeVisible();
  await expect(docs.integration('seed-01')).toHaveCount(0);
  expect(docs.foreignRequests).toEqual([]);
  expect(errors).toEqual([]);
});

test('the OpenAPI document the page renders is served beside it', async ({ request }) => {
  const response = await request.get('/api/ai/openapi.json');
  expect(response.status()).toBe(200);
  const document = await response.json();
  expect(document.openapi).toMatch(/^3\.1/);
  expect(Object.keys(document.paths)).toContain('/v1/chat/completions');
});

test('the console embeds the same docs from its sidebar', async ({ page }) => {
  await signIn(page, '/integrations');
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'API docs' }).click();
  await expect(page).toHaveURL(/\/docs$/);
  const frame = page.frameLocator('iframe[title="AI Gateway API documentation"]');
  await expect(frame.getByRole('link', { name: 'OpenAI-compatible', exact: true })).toBeVisible({ timeout: 20_000 });
  await expect(frame.getByRole('link', { name: 'seed-02', exact: true })).toBeVisible();
});
