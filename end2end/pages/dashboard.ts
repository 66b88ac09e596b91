// Page object for the console's landing page, the overview at /.
import { expect, type Locator, type Page } from '@playwright/test';

export class DashboardPage {
  readonly heading: Locator;
  readonly hydration: Locator;
  readonly refresh: Locator;
  readonly status: Locator;
  readonly calls: Locator;
  readonly errorRate: Locator;
  readonly signedInAs: Locator;
  readonly signOut: Locator;

  constructor(private readonly page: Page) {
    this.heading = page.getByRole('heading', { level: 1, name: 'Overview' });
    this.hydration = page.locator('[data-hydrated]').first();
    this.refresh = page.getByRole('button', { name: 'Refresh' });
    this.status = page.getByTestId('status-result');
    this.calls = page.getByTestId('calls-24h');
    this.errorRate = page.getByTestId('error-rate-24h');
    this.signedInAs = page.getByTestId('signed-in-as');
    this.signOut = page.getByRole('button', { name: 'Sign out' });
  }

  async open() {
    await this.page.goto('/');
  }

  /** Clicks only count once the wasm has hydrated the server-rendered page. */
  async waitForHydration() {
    await expect(this.hydration).toHaveAttribute('data-hydrated', 'true');
  }

  /** Calls are logged in the background, a moment after they answer: refreshes until `check`
   * (whose expectations should give up quickly) passes. */
  async refreshUntil(check: () => Promise<void>) {
    await expect(async () => {
      await this.refresh.click();
      await check();
    }).toPass();
  }

  /** An integration's spend today against its cap. */
  spend(slug: string): Locator {
    return this.page.getByTestId(`spend-${slug}`);
  }

  /** An integration's row in the week's cost ranking: its cells, name first. */
  top(slug: string): Locator {
    return this.page.getByTestId(`top-${slug}`).getByRole('cell');
  }
}
