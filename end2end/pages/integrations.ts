// Page object for the integrations list (/integrations).
import { expect, type Locator, type Page } from '@playwright/test';

export class IntegrationsPage {
  readonly table: Locator;
  readonly summary: Locator;
  readonly search: Locator;
  readonly activeFilter: Locator;
  readonly visibilityFilter: Locator;
  readonly next: Locator;
  readonly previous: Locator;
  readonly deleteSelected: Locator;
  readonly confirmDelete: Locator;
  readonly toasts: Locator;
  readonly empty: Locator;

  constructor(private readonly page: Page) {
    this.table = page.getByTestId('integrations-table');
    this.summary = page.getByTestId('list-summary');
    this.search = page.getByRole('searchbox');
    this.activeFilter = page.getByLabel('Active filter');
    this.visibilityFilter = page.getByLabel('Visibility filter');
    this.next = page.getByRole('button', { name: 'Next' });
    this.previous = page.getByRole('button', { name: 'Previous' });
    this.deleteSelected = page.getByRole('button', { name: /^Delete selected/ });
    this.confirmDelete = page.getByRole('alertdialog').getByRole('button', { name: 'Delete' });
    this.toasts = page.getByTestId('toasts');
    this.empty = page.getByTestId('empty-list');
  }

  async open() {
    await this.page.goto('/integrations');
    await expect(this.page.locator('[data-hydrated="true"]')).toBeVisible();
  }

  row(slug: string): Locator {
    return this.page.getByTestId(`row-${slug}`);
  }

  activeSwitch(slug: string): Locator {
    return this.page.getByRole('switch', { name: `Active: ${slug}` });
  }

  select(slug: string): Locator {
    return this.page.getByRole('checkbox', { name: `Select ${slug}` });
  }

  /** The slugs shown on the current page, in order. */
  async slugs(): Promise<string[]> {
    const ids = await this.table.locator('tbody tr').evaluateAll((rows) =>
      rows.map((row) => row.getAttribute('data-testid') ?? ''),
    );
    return ids.map((id) => id.replace(/^row-/, ''));
  }
}
