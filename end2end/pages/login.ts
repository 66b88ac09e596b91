// Page object for the sign-in page at /login, and the sign-in step every console test starts with.
import { expect, type Locator, type Page } from '@playwright/test';
import { ADMIN } from '../admin';

export class LoginPage {
  readonly heading: Locator;
  readonly form: Locator;
  readonly email: Locator;
  readonly password: Locator;
  readonly submit: Locator;
  readonly error: Locator;

  constructor(private readonly page: Page) {
    this.heading = page.getByRole('heading', { level: 1, name: 'Sign in to AI Gateway' });
    this.form = page.getByTestId('login-form');
    this.email = page.getByLabel('Email');
    this.password = page.getByLabel('Password');
    this.submit = page.getByRole('button', { name: /Sign in|Signing in/ });
    this.error = page.getByTestId('login-error');
  }

  async open(next?: string) {
    await this.page.goto(next ? `/login?next=${encodeURIComponent(next)}` : '/login');
  }

  /** A submit before hydration would post the form natively instead of through the app. */
  async waitForHydration() {
    await expect(this.form).toHaveAttribute('data-hydrated', 'true');
  }

  async signIn(email: string, password: string) {
    await this.waitForHydration();
    await this.email.fill(email);
    await this.password.fill(password);
    await this.submit.click();
  }
}

/** Signs in as the e2e admin from wherever the console sent the browser, and waits to land. */
export async function signIn(page: Page, path = '/') {
  await page.goto(path);
  await expect(page).toHaveURL(/\/login\?next=/);
  await new LoginPage(page).signIn(ADMIN.email, ADMIN.password);
  await expect(page).not.toHaveURL(/\/login/);
}
