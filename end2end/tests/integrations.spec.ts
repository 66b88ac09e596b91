// The integrations list: pages, search, filters, the inline active switch (seen by the API at once)
// and bulk delete, all updating in place.
import { expect, test } from '../test';
import { IntegrationsPage } from '../pages/integrations';
import { signIn } from '../pages/login';

test.beforeEach(async ({ page }) => {
  await signIn(page);
});

test('the list pages through the integrations ten at a time', async ({ page }) => {
  const list = new IntegrationsPage(page);
  await list.open();
  await expect(list.summary).toHaveText(/^1[0-9] integration\(s\) · page 1 of 2$/);
  expect(await list.slugs()).toHaveLength(10);
  await expect(list.row('seed-02')).toContainText('openai/gpt-4o-mini  +1');
  await expect(list.row('seed-01')).toContainText('internal');
  await list.next.click();
  await expect(list.summary).toContainText('page 2 of 2');
  // Other tests may add integrations; the seeded ones sort last.
  expect((await list.slugs()).slice(-2)).toEqual(['seed-11', 'seed-12']);
  await expect(list.next).toBeDisabled();
});

test('search and filters narrow the list', async ({ page }) => {
  const list = new IntegrationsPage(page);
  await list.open();
  await list.search.fill('seed-1');
  await expect(list.summary).toHaveText('3 integration(s) · page 1 of 1');
  expect(await list.slugs()).toEqual(['seed-10', 'seed-11', 'seed-12']);

  await list.search.fill('');
  await list.activeFilter.selectOption('no');
  await expect.poll(() => list.slugs()).toEqual(['seed-03', 'seed-07', 'seed-11']);
  await list.visibilityFilter.selectOption('both');
  await expect.poll(() => list.slugs()).toEqual(['seed-11']);
  await list.search.fill('nothing like this');
  await expect(list.empty).toBeVisible();
});

test('the active switch takes effect on the very next API call', async ({ page, request }) => {
  const list = new IntegrationsPage(page);
  await list.open();
  const toggle = list.activeSwitch('seed-05');
  await expect(toggle).toHaveAttribute('aria-checked', 'true');
  await toggle.click();
  await expect(list.toasts).toContainText('Integration switched off.');
  await expect(toggle).toHaveAttribute('aria-checked', 'false');
  // The OpenAI-compatible model list shows only active, API-visible integrations.
  const models = await request.get('/api/ai/openapi.json');
  expect(Object.keys((await models.json()).paths)).not.toContain('/api/ai/seed-05/chat');
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-checked', 'true');
  const again = await request.get('/api/ai/openapi.json');
  expect(Object.keys((await again.json()).paths)).toContain('/api/ai/seed-05/chat');
});

test('bulk delete asks first, then removes the rows in place', async ({ page }) => {
  const list = new IntegrationsPage(page);
  await list.open();
  await list.search.fill('seed-1');
  await list.select('seed-10').check();
  await list.select('seed-12').check();
  await list.deleteSelected.click();
  await expect(page.getByRole('alertdialog')).toContainText('Delete 2 integration(s)?');
  await list.confirmDelete.click();
  await expect(list.toasts).toContainText('Deleted 2 integration(s).');
  await expect.poll(() => list.slugs()).toEqual(['seed-11']);
  await expect(list.deleteSelected).toBeHidden();
});
