// Page object for an integration's versions (/integrations/{id}/versions).
import { expect, type Locator, type Page } from '@playwright/test';

export class VersionsPage {
  readonly table: Locator;
  readonly from: Locator;
  readonly to: Locator;
  readonly showDiff: Locator;
  readonly diff: Locator;
  readonly addedLines: Locator;
  readonly removedLines: Locator;
  readonly settingsDiff: Locator;
  readonly confirmation: Locator;
  readonly viewed: Locator;
  readonly toasts: Locator;

  constructor(private readonly page: Page) {
    this.table = page.getByTestId('versions-table');
    this.from = page.getByLabel('From version');
    this.to = page.getByLabel('To version');
    this.showDiff = page.getByRole('button', { name: 'Show diff' });
    this.diff = page.getByTestId('diff');
    this.addedLines = page.getByTestId('diff-added');
    this.removedLines = page.getByTestId('diff-removed');
    this.settingsDiff = page.getByTestId('settings-diff');
    this.confirmation = page.getByRole('alertdialog');
    this.viewed = page.getByTestId('viewed-version');
    this.toasts = page.getByTestId('toasts');
  }

  /** Opens the versions of the integration `slug`, reached from the integrations list. */
  async openFor(slug: string) {
    await this.page.goto('/integrations');
    await expect(this.page.locator('[data-hydrated="true"]')).toBeVisible();
    await this.page.getByRole('searchbox').fill(slug);
    await this.page.getByTestId(`row-${slug}`).getByRole('link', { name: 'Versions' }).click();
    await expect(this.table).toBeVisible();
    await expect(this.page.locator('[data-hydrated="true"]')).toBeVisible();
  }

  row(number: number): Locator {
    return this.page.getByTestId(`version-${number}`);
  }

  /** The version numbers listed, top to bottom. */
  async numbers(): Promise<string[]> {
    const ids = await this.table.locator('tbody tr').evaluateAll((rows) =>
      rows.map((row) => row.getAttribute('data-testid') ?? ''),
    );
    return ids.map((id) => id.replace(/^version-/, 'v'));
  }

  view(number: number): Locator {
    return this.page.getByRole('button', { name: `View v${number}` });
  }

  activate(number: number): Locator {
    return this.row(number).getByRole('button', { name: `Activate v${number}` });
  }

  confirmActivate(number: number): Locator {
    return this.confirmation.getByRole('button', { name: `Activate v${number}` });
  }
}
