// Page object for the API tokens page (/tokens).
import { expect, type Locator, type Page } from '@playwright/test';

export class TokensPage {
  readonly create: Locator;
  readonly name: Locator;
  readonly expiration: Locator;
  readonly submit: Locator;
  readonly secret: Locator;
  readonly copy: Locator;
  readonly done: Locator;
  readonly table: Locator;
  readonly empty: Locator;
  readonly confirmation: Locator;
  readonly toasts: Locator;

  constructor(private readonly page: Page) {
    this.create = page.getByRole('button', { name: 'Create token' });
    const form = page.getByRole('form', { name: 'New token' });
    this.name = form.getByLabel('Token name');
    this.expiration = form.getByLabel('Expiration');
    this.submit = form.getByRole('button', { name: 'Create', exact: true });
    this.secret = page.getByTestId('token-secret');
    this.copy = page.getByRole('dialog').getByRole('button', { name: /^Cop/ });
    this.done = page.getByRole('dialog').getByRole('button', { name: 'Done' });
    this.table = page.getByTestId('tokens-table');
    this.empty = page.getByTestId('tokens-empty');
    this.confirmation = page.getByRole('alertdialog');
    this.toasts = page.getByTestId('toasts');
  }

  async open() {
    await this.page.goto('/tokens');
    await expect(this.page.locator('[data-hydrated="true"]')).toBeVisible();
  }

  row(name: string): Locator {
    return this.table.getByRole('row').filter({ hasText: name });
  }

  revoke(name: string): Locator {
    return this.page.getByRole('button', { name: `Revoke ${name}` });
  }
}
