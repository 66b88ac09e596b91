// General settings: switching the API off takes effect on the next call (404) and hides the API
// docs; bad values are refused next to their fields; the helper model and the catalog refresh.
import { expect, test } from '../test';
import { signIn } from '../pages/login';
import { SettingsPage } from '../pages/settings';

test.beforeEach(async ({ page }) => {
  await signIn(page);
});

test('the API switch applies to the next call and the docs follow it', async ({ page, request }) => {
  const settings = new SettingsPage(page);
  await settings.open();
  await expect(settings.apiEnabled).toBeChecked();
  const docsLink = page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'API docs' });
  await expect(docsLink).toBeVisible();

  await settings.apiEnabled.uncheck();
  await settings.saveAndConfirm();
  expect((await request.get('/api/ai/openapi.json')).status()).toBe(404);
  expect((await request.post('/api/ai/seed-02/chat', { data: { args: {} } })).status()).toBe(404);
  await page.reload();
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await expect(docsLink).toBeHidden();

  await settings.apiEnabled.check();
  await settings.saveAndConfirm();
  expect((await request.get('/api/ai/openapi.json')).status()).toBe(200);
});

test('bad values are refused by field and nothing is saved', async ({ page }) => {
  const settings = new SettingsPage(page);
  await settings.open();
  await settings.conversationLifetime.fill('');
  await settings.conversationLifetime.blur();
  await settings.defaultDailyCap.fill('lots');
  await settings.defaultDailyCap.blur();
  await expect(page.getByTestId('field-error')).toContainText('Enter an amount in dollars');
  await settings.save.click();
  await expect(settings.toasts).toContainText('Not saved');
  await expect(page.getByTestId('field-error').first()).toContainText('Between 1 and 525600 minutes');

  await settings.open();
  await expect(settings.conversationLifetime).toHaveValue('2880');
});

test('the helper model and defaults are saved, and the catalog refreshes on demand', async ({ page }) => {
  const settings = new SettingsPage(page);
  await settings.open();
  const original = (await settings.helperModel.textContent()) ?? '';
  await settings.pickHelperModel('openai/gpt-4o-mini');
  await settings.defaultRateLimit.fill('120');
  await settings.defaultRateLimit.blur();
  await settings.saveAndConfirm();

  await settings.open();
  await expect(settings.helperModel).toHaveText('openai/gpt-4o-mini');
  await expect(settings.defaultRateLimit).toHaveValue('120');

  await settings.refreshCatalog.click();
  await expect(settings.toasts).toContainText('Catalog refreshed: 400 models.');
  await expect(settings.catalogState).toContainText('400 models from OpenRouter, fetched');

  // Leave the deployment as the other tests expect it.
  await settings.pickHelperModel(original);
  await settings.defaultRateLimit.fill('');
  await settings.defaultRateLimit.blur();
  await settings.saveAndConfirm();
});
