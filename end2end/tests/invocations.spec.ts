// The invocations grid over rows imported from a fixed-seed fixture: the Σ row against sums
// computed here from those very rows and read back from the database, sorting, the detail dialog, the CSV download and
// auto-refresh keeping the filters.
import * as fs from 'node:fs';
import { expect, test } from '../test';
import { FIRST_DAY, LAST_DAY, ROWS, type Filters, importRows, matching, storedTotals, totals } from '../invocations';
import { InvocationsPage } from '../pages/invocations';
import { signIn } from '../pages/login';

test.beforeAll(() => {
  importRows();
});

test.beforeEach(async ({ page }) => {
  await signIn(page, '/invocations');
});

const WINDOW: Filters = { from: FIRST_DAY, until: LAST_DAY };

async function expectTotals(grid: InvocationsPage, filters: Filters) {
  const expected = totals(matching(filters));
  await grid.expectCount(expected.count);
  await expect(grid.sumPrompt).toHaveText(expected.prompt);
  await expect(grid.sumCompletion).toHaveText(expected.completion);
  await expect(grid.sumCost).toHaveText(expected.cost);
}

test('the Σ row sums every matching row in the database, not just the page', async ({ page }) => {
  const grid = new InvocationsPage(page);
  await grid.open();
  await grid.filter(WINDOW);
  await expectTotals(grid, WINDOW);
  expect(matching(WINDOW).length).toBeGreaterThan(25);
  expect(await grid.ids()).toHaveLength(25);
  // The one expensive call makes the Σ cost group its thousands.
  await expect(grid.sumCost).toHaveText(/^\$1,23\d\.\d{6}$/);

  const beta = { ...WINDOW, integration: 'inv-beta', status: 'ok' };
  await grid.filter(beta);
  await expectTotals(grid, beta);
  // The same sums straight from the database: the fixture is what was stored.
  const expected = totals(matching(beta));
  const stored = storedTotals('inv-beta', 'ok', FIRST_DAY, LAST_DAY);
  expect(stored.count).toBe(expected.count);
  expect(stored.prompt.toLocaleString('en-US')).toBe(expected.prompt);
  expect(stored.completion.toLocaleString('en-US')).toBe(expected.completion);
  expect(stored.nanos).toBe(expected.nanos);

  const claude = { ...WINDOW, integration: '', status: '', caller: 'api', search: 'CLAUDE' };
  await grid.filter(claude);
  await expectTotals(grid, { ...WINDOW, caller: 'api', search: 'claude' });
});

test('a date range includes the whole first and last day (UTC) and nothing else', async ({ page }) => {
  const grid = new InvocationsPage(page);
  await grid.open();
  const oneDay = { from: '2025-03-05', until: '2025-03-05' };
  await grid.filter(oneDay);
  await expectTotals(grid, oneDay);
  // The fixture's first rows sit on the edges of 2025-03-05: the newest and the oldest shown are
  // its last and first millisecond.
  await expect.poll(async () => (await grid.ids())[0]).toBe(ROWS[2].id);
  await grid.sortBy('Created at').click();
  await expect(grid.columnHeader('Created at')).toHaveAttribute('aria-sort', 'ascending');
  await expect.poll(async () => (await grid.ids())[0]).toBe(ROWS[1].id);
  await expect(grid.chart).toContainText('per hour (UTC)');
  await expect(grid.chart.locator('svg g')).toHaveCount(24);

  await grid.filter(WINDOW);
  await expect(grid.chart).toContainText('per day (UTC)');
  await expect(grid.chart.locator('svg g')).toHaveCount(7);
});

test('columns sort by cost and latency, both ways', async ({ page }) => {
  const grid = new InvocationsPage(page);
  await grid.open();
  const filters = { ...WINDOW, integration: 'inv-alpha' };
  await grid.filter(filters);
  await expectTotals(grid, filters);
  const rows = matching(filters);

  await grid.sortBy('Cost').click();
  await expect(grid.columnHeader('Cost')).toHaveAttribute('aria-sort', 'descending');
  const dearest = [...rows].sort((a, b) => (b.cost_nanos ?? -1) - (a.cost_nanos ?? -1))[0];
  await expect.poll(async () => (await grid.ids())[0]).toBe(dearest.id);

  await grid.sortBy('Latency').click();
  await grid.sortBy('Latency').click();
  await expect(grid.columnHeader('Latency')).toHaveAttribute('aria-sort', 'ascending');
  const quickest = [...rows].sort((a, b) => a.latency_ms - b.latency_ms)[0];
  await expect.poll(async () => (await grid.ids())[0]).toBe(quickest.id);
});

test('the detail shows the call, its usage and cost, the generation link and the error', async ({ page }) => {
  const grid = new InvocationsPage(page);
  await grid.open();
  const ok = ROWS.find((r) => r.status === 'ok' && r.conversation_id && r.generation_id !== 'gen-expensive')!;
  await grid.filter({ ...WINDOW, search: ok.integration_slug, status: 'ok', caller: ok.caller_type });
  await grid.view(ok.id);
  await expect(grid.detailValue('Integration')).toHaveText(ok.integration_slug);
  await expect(grid.detailValue('Caller id')).toHaveText(ok.caller_id!);
  await expect(grid.detailValue('Requested model')).toHaveText(ok.model_requested);
  await expect(grid.detailValue('Used model')).toHaveText(ok.model_used!);
  await expect(grid.detailValue('Prompt tokens')).toHaveText(ok.prompt_tokens!.toLocaleString('en-US'));
  await expect(grid.detailValue('Cached tokens')).toHaveText(ok.cached_tokens!.toLocaleString('en-US'));
  await expect(grid.detailValue('Citations')).toHaveText(String(ok.citation_count));
  await expect(grid.detailValue('Conversation')).toHaveText(ok.conversation_id!);
  const link = grid.dialog.getByTestId('generation-link');
  await expect(link).toHaveText(ok.generation_id!);
  await expect(link).toHaveAttribute('href', `https://openrouter.ai/logs?generation=${ok.generation_id}`);
  await expect(link).toHaveAttribute('target', '_blank');
  await expect(link).toHaveAttribute('rel', /noopener/);
  await expect(grid.dialog.getByTestId('detail-error')).toHaveCount(0);
  await grid.dialog.getByRole('button', { name: 'Close' }).click();
  await expect(grid.dialog).toBeHidden();

  const failed = ROWS.find((r) => r.status === 'error')!;
  await grid.filter({ search: failed.integration_slug, status: 'error', caller: failed.caller_type });
  await grid.view(failed.id);
  await expect(grid.detailValue('Cost')).toHaveText('—');
  await expect(grid.dialog.getByTestId('detail-error')).toContainText(failed.error_class!);
  await expect(grid.dialog.getByTestId('detail-error')).toContainText(failed.error_message!);
  await page.keyboard.press('Escape');
  await expect(grid.dialog).toBeHidden();
});

test('the CSV export downloads exactly the filtered rows', async ({ page }) => {
  const grid = new InvocationsPage(page);
  await grid.open();
  const filters = { ...WINDOW, integration: 'inv-gamma', status: 'ok' };
  await grid.filter(filters);
  const expected = totals(matching(filters));
  await grid.expectCount(expected.count);

  const [download] = await Promise.all([page.waitForEvent('download'), grid.exportCsv.click()]);
  expect(download.suggestedFilename()).toMatch(/^invocations-\d{4}-\d{2}-\d{2}\.csv$/);
  const lines = fs.readFileSync(await download.path(), 'utf8').trim().split('\r\n');
  const header = lines[0].split(',');
  expect(header.slice(0, 4)).toEqual(['created_at', 'id', 'integration', 'status']);
  const rows = lines.slice(1).map((line) => line.split(','));
  expect(rows).toHaveLength(expected.count);
  const column = (name: string) => header.indexOf(name);
  expect(new Set(rows.map((r) => r[column('integration')]))).toEqual(new Set(['inv-gamma']));
  expect(rows.map((r) => r[column('id')]).sort()).toEqual(matching(filters).map((r) => r.id).sort());
  const nanos = rows.reduce((sum, r) => {
    const [whole, fraction = ''] = r[column('cost_usd')].split('.');
    return sum + BigInt(whole) * 1_000_000_000n + BigInt(fraction.padEnd(9, '0'));
  }, 0n);
  expect(nanos).toBe(expected.nanos);
});

test('auto-refresh brings in new calls without losing the filters', async ({ page }) => {
  const grid = new InvocationsPage(page);
  await grid.open();
  const later = { from: '2025-04-01', until: '2025-04-01', search: 'inv-late' };
  await grid.filter(later);
  await expect(grid.empty).toBeVisible();
  await expect(grid.autoRefresh).toBeChecked();

  const late = { ...ROWS[20], id: '01956000-0000-7000-8000-0000000fffff', integration_slug: 'inv-late', created_at_ms: Date.UTC(2025, 3, 1, 12) };
  importRows([late]);
  await expect(grid.row(late.id)).toBeVisible({ timeout: 15_000 });
  await grid.expectCount(1);
  await expect(grid.from).toHaveValue('2025-04-01');
  await expect(grid.search).toHaveValue('inv-late');
});
