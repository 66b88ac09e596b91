// The end of a session while a page is open: the next answer that says so sends the admin to the
// sign-in page, which brings them back to where they were; the signed-out header is gone.
import { expect, test } from '../test';
import { ADMIN } from '../admin';
import { DashboardPage } from '../pages/dashboard';
import { LoginPage, signIn } from '../pages/login';

test('moving to another page after the session ended asks to sign in, then returns there', async ({ page, context }) => {
  await signIn(page, '/settings');
  const frame = new DashboardPage(page);
  await frame.waitForHydration();
  await expect(frame.signedInAs).toHaveText(ADMIN.email);

  await context.clearCookies();
  // A link inside the app: the router renders the page in place, and its data calls get a 401.
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'API tokens' }).click();

  await expect(page).toHaveURL(/\/login\?next=%2Ftokens$/);
  const login = new LoginPage(page);
  await expect(login.heading).toBeVisible();
  await expect(frame.signedInAs).toHaveCount(0);
  await login.signIn(ADMIN.email, ADMIN.password);
  await expect(page).toHaveURL(/\/tokens$/);
  await expect(frame.signedInAs).toHaveText(ADMIN.email);
});

test('an action refused for an ended session asks to sign in, with the page and its query', async ({ page, context }) => {
  await signIn(page, '/tokens?page=1');
  const frame = new DashboardPage(page);
  await frame.waitForHydration();

  await context.clearCookies();
  await frame.signOut.click();

  await expect(page).toHaveURL(/\/login\?next=%2Ftokens%3Fpage%3D1$/);
  await expect(new LoginPage(page).heading).toBeVisible();
});
