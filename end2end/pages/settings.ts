// Page object for the general settings page (/settings).
import { expect, type Locator, type Page } from '@playwright/test';
import { pickModelOption } from './editor';

export class SettingsPage {
  readonly apiEnabled: Locator;
  readonly builderEnabled: Locator;
  readonly helperModel: Locator;
  readonly helperSearch: Locator;
  readonly conversationLifetime: Locator;
  readonly defaultRateLimit: Locator;
  readonly defaultDailyCap: Locator;
  readonly save: Locator;
  readonly refreshCatalog: Locator;
  readonly catalogState: Locator;
  readonly toasts: Locator;

  constructor(private readonly page: Page) {
    this.apiEnabled = page.getByLabel('Enable the HTTP API');
    this.builderEnabled = page.getByLabel('Enable Draft with AI');
    this.helperModel = page.getByTestId('helper-model');
    this.helperSearch = page.getByLabel('Search helper models');
    this.conversationLifetime = page.getByLabel('Conversation lifetime (idle minutes)');
    this.defaultRateLimit = page.getByLabel('Default rate limit (calls per minute per caller)');
    this.defaultDailyCap = page.getByLabel('Default daily cap (USD)');
    this.save = page.getByRole('button', { name: 'Save settings' });
    this.refreshCatalog = page.getByRole('button', { name: 'Refresh the catalog now' });
    this.catalogState = page.getByTestId('catalog-state');
    this.toasts = page.getByTestId('toasts');
  }

  async open() {
    await this.page.goto('/settings');
    await expect(this.page.locator('[data-hydrated="true"]')).toBeVisible();
    await expect(this.save).toBeVisible();
  }

  async pickHelperModel(id: string) {
    await pickModelOption(this.helperSearch, id);
    await expect(this.helperModel).toHaveText(id);
  }

  /** Saves and waits for the confirmation. */
  async saveAndConfirm() {
    await this.save.click();
    await expect(this.toasts).toContainText('Settings saved');
  }
}
