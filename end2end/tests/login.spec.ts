// Signing in and out of the console: refusals, landing where the admin wanted, throttling, logout.
import { expect, test } from '../test';
import { ADMIN } from '../admin';
import { DashboardPage } from '../pages/dashboard';
import { LoginPage } from '../pages/login';

test('a wrong password is refused with a readable message', async ({ page }) => {
  const login = new LoginPage(page);
  await login.open();

  await login.signIn(ADMIN.email, 'certainly not the password');

  await expect(login.error).toHaveText('Wrong email or password.');
  await expect(page).toHaveURL(/\/login/);
});

test('signing in lands on the page the admin asked for', async ({ page }) => {
  await page.goto('/');
  await expect(page).toHaveURL(/\/login\?next=\/$/);
  const login = new LoginPage(page);

  await login.signIn(` ${ADMIN.email.toUpperCase()} `, ADMIN.password);

  const home = new DashboardPage(page);
  await expect(home.heading).toBeVisible();
  await expect(home.signedInAs).toHaveText(ADMIN.email);
});

test('repeated failures lock the account and say how long to wait', async ({ page }) => {
  const login = new LoginPage(page);
  await login.open();
  const email = 'nobody-in-particular@example.com';
  for (let attempt = 0; attempt < 5; attempt++) {
    await login.signIn(email, `wrong password number ${attempt}`);
    await expect(login.error).toHaveText('Wrong email or password.');
    // The button is disabled while an attempt is in flight: attempts go one at a time.
    await expect(login.submit).toBeEnabled();
  }

  await login.signIn(email, `wrong password number 5`);

  await expect(login.error).toHaveText(
    'Too many failed sign-in attempts. Try again in 15 minute(s).',
  );
});

test('signing out ends the session', async ({ page }) => {
  const login = new LoginPage(page);
  await login.open();
  await login.signIn(ADMIN.email, ADMIN.password);
  const home = new DashboardPage(page);
  await expect(home.signedInAs).toHaveText(ADMIN.email);

  await home.signOut.click();

  await expect(login.heading).toBeVisible();
  await page.goto('/');
  await expect(page).toHaveURL(/\/login\?next=/);
});
