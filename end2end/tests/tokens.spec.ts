// API tokens: one is created with a lifetime, its secret copied from the one-time dialog (read
// back from the clipboard), used against the public API, then revoked, after which the API
// refuses it.
import { expect, test, type APIRequestContext } from '../test';
import { signIn } from '../pages/login';
import { TokensPage } from '../pages/tokens';

test.beforeEach(async ({ page }) => {
  await signIn(page);
});

/** A call to the public, active seed-02 with `token`. */
function callApi(request: APIRequestContext, token: string) {
  return request.post('/api/ai/seed-02/chat', {
    headers: { authorization: `Bearer ${token}` },
    data: { args: { question: 'Are you there?' } },
  });
}

test('a token is created, copied, used and revoked', async ({ page, context, request }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const tokens = new TokensPage(page);
  await tokens.open();
  await expect(tokens.empty).toContainText('No API tokens yet');

  await tokens.create.click();
  await tokens.submit.click();
  await expect(page.getByTestId('field-error')).toContainText('The token name is required.');
  await tokens.name.fill('e2e robot');
  await tokens.expiration.selectOption({ label: '30 days' });
  await tokens.submit.click();

  await expect(page.getByRole('dialog')).toContainText('created — shown once');
  await expect(page.getByRole('dialog')).toContainText('Expires ');
  const secret = (await tokens.secret.textContent()) ?? '';
  expect(secret).toMatch(/^\d+\|[A-Za-z0-9]{40}$/);
  await tokens.copy.click();
  await expect(tokens.copy).toHaveText('Copied');
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied).toBe(secret);

  // Listed at once, without the secret.
  await expect(tokens.row('e2e robot')).toContainText('ai-gateway:invoke');
  await expect(tokens.row('e2e robot')).toContainText('never');
  await expect(tokens.table).not.toContainText(secret.split('|')[1]);

  const accepted = await callApi(request, copied);
  expect(accepted.status()).toBe(200);

  await tokens.done.click();
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await tokens.revoke('e2e robot').click();
  await expect(tokens.confirmation).toContainText('Revoke "e2e robot"?');
  await tokens.confirmation.getByRole('button', { name: 'Revoke' }).click();
  await expect(tokens.toasts).toContainText('Token revoked');
  await expect(tokens.empty).toBeVisible();

  const refused = await callApi(request, copied);
  expect(refused.status()).toBe(401);
});
