// Page object for the console's landing page.
import { expect, type Locator, type Page } from '@playwright/test';

export class HomePage {
  readonly heading: Locator;
  readonly checkStatus: Locator;
  readonly statusResult: Locator;
  readonly signedInAs: Locator;
  readonly signOut: Locator;

  constructor(private readonly page: Page) {
    this.heading = page.getByRole('heading', { level: 1, name: 'AI Gateway' });
    this.checkStatus = page.getByRole('button', { name: 'Check status' });
    this.statusResult = page.getByTestId('status-result');
    this.signedInAs = page.getByTestId('signed-in-as');
    this.signOut = page.getByRole('button', { name: 'Sign out' });
  }

  async open() {
    await this.page.goto('/');
  }

  /** Clicks only count once the wasm has hydrated the server-rendered page. */
  async waitForHydration() {
    await expect(this.heading).toHaveAttribute('data-hydrated', 'true');
  }
}
