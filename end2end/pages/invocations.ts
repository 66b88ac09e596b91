// Page object for the invocations grid (/invocations) and its detail dialog.
import { expect, type Locator, type Page } from '@playwright/test';
import type { Filters } from '../invocations';

export class InvocationsPage {
  readonly table: Locator;
  readonly summary: Locator;
  readonly search: Locator;
  readonly statusFilter: Locator;
  readonly callerFilter: Locator;
  readonly integrationFilter: Locator;
  readonly from: Locator;
  readonly until: Locator;
  readonly sumPrompt: Locator;
  readonly sumCompletion: Locator;
  readonly sumCost: Locator;
  readonly exportCsv: Locator;
  readonly autoRefresh: Locator;
  readonly chart: Locator;
  readonly dialog: Locator;
  readonly empty: Locator;

  constructor(private readonly page: Page) {
    this.table = page.getByTestId('invocations-table');
    this.summary = page.getByTestId('list-summary');
    this.search = page.getByRole('searchbox');
    this.statusFilter = page.getByLabel('Status filter');
    this.callerFilter = page.getByLabel('Caller filter');
    this.integrationFilter = page.getByLabel('Integration filter');
    this.from = page.getByLabel('From (UTC)');
    this.until = page.getByLabel('Until (UTC)');
    this.sumPrompt = page.getByTestId('sum-prompt');
    this.sumCompletion = page.getByTestId('sum-completion');
    this.sumCost = page.getByTestId('sum-cost');
    this.exportCsv = page.getByRole('link', { name: 'Export CSV' });
    this.autoRefresh = page.getByRole('checkbox', { name: /Auto-refresh/ });
    this.chart = page.getByTestId('invocations-chart');
    this.dialog = page.getByRole('dialog', { name: 'Invocation detail' });
    this.empty = page.getByTestId('empty-list');
  }

  async open() {
    await this.page.goto('/invocations');
    await expect(this.page.locator('[data-hydrated="true"]')).toBeVisible();
  }

  /** Sets every filter named (others stay as they are). */
  async filter(filters: Filters) {
    if (filters.from !== undefined) await this.from.fill(filters.from);
    if (filters.until !== undefined) await this.until.fill(filters.until);
    if (filters.integration !== undefined) await this.integrationFilter.selectOption(filters.integration);
    if (filters.status !== undefined) await this.statusFilter.selectOption(filters.status);
    if (filters.caller !== undefined) await this.callerFilter.selectOption(filters.caller);
    if (filters.search !== undefined) await this.search.fill(filters.search);
  }

  /** Waits until the grid shows `count` matching calls. */
  async expectCount(count: number) {
    await expect(this.summary).toHaveText(new RegExp(`^${count.toLocaleString('en-US')} call\\(s\\) · page 1 of \\d+$`));
  }

  row(id: string): Locator {
    return this.page.getByTestId(`invocation-${id}`);
  }

  /** The ids of the rows on the current page, in order. */
  async ids(): Promise<string[]> {
    const ids = await this.table.locator('tbody tr[data-testid]').evaluateAll((rows) =>
      rows.map((row) => row.getAttribute('data-testid') ?? ''),
    );
    return ids.map((id) => id.replace(/^invocation-/, ''));
  }

  sortBy(column: 'Created at' | 'Status' | 'Cost' | 'Latency'): Locator {
    return this.table.getByRole('button', { name: column });
  }

  columnHeader(column: string): Locator {
    return this.table.getByRole('columnheader', { name: column });
  }

  async view(id: string) {
    await this.row(id).getByRole('button', { name: 'View' }).click();
    await expect(this.dialog).toBeVisible();
  }

  /** The value next to a label in the detail dialog. */
  detailValue(label: string): Locator {
    return this.dialog
      .locator('dt')
      .filter({ hasText: new RegExp(`^${label}$`) })
      .locator('xpath=following-sibling::dd[1]');
  }
}
