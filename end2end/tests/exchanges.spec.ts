// Keeping prompts and answers: switched on in the editor, a test run's rendered prompt and answer
// show in its invocation detail; an integration that does not keep them shows neither, and the
// setting travels in `integrations export`.
import { expect, test } from '../test';
import { applyIntegrations, cli } from '../cli';
import { integration } from '../fixtures';
import { EditorPage, TestPanel } from '../pages/editor';
import { InvocationsPage } from '../pages/invocations';
import { signIn } from '../pages/login';

test.beforeAll(() => {
  applyIntegrations([
    { ...integration(13), slug: 'capture-on', name: 'Kept calls', active: true },
    { ...integration(14), slug: 'capture-off', name: 'Unkept calls', active: true },
  ]);
});

test.beforeEach(async ({ page }) => {
  await signIn(page);
});

async function runTest(page: import('@playwright/test').Page, slug: string, question: string) {
  const editor = new EditorPage(page);
  await editor.openFor(slug);
  const panel = new TestPanel(page);
  await panel.argument('question').fill(question);
  await panel.run.click();
  await expect(panel.answer).toContainText('Simulated answer from');
}

async function openLatestCall(page: import('@playwright/test').Page, slug: string) {
  const grid = new InvocationsPage(page);
  await grid.open();
  await grid.filter({ search: slug });
  await grid.expectCount(1);
  const [id] = await grid.ids();
  await grid.view(id);
  return grid;
}

test('with keeping on, the detail shows the rendered prompt and the answer', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.openFor('capture-on');
  await page.getByLabel("Keep each call's prompt and answer").check();
  await page.getByLabel('Keep them for (days)').fill('3');
  await editor.save.click();
  await expect(editor.toasts).toContainText('Saved');
  expect(cli('integrations', 'export', 'capture-on')).toMatch(/"capture_exchanges": true[\s\S]*"capture_retention_days": 3/);

  await runTest(page, 'capture-on', 'Where is Lisbon?');
  const grid = await openLatestCall(page, 'capture-on');
  const exchange = grid.dialog.getByTestId('detail-exchange');
  await expect(exchange.getByTestId('exchange-prompt')).toContainText('Answer briefly: Where is Lisbon?');
  await expect(exchange.getByTestId('exchange-answer')).toContainText('"role": "assistant"');
  await expect(exchange.getByTestId('exchange-answer')).toContainText('Simulated answer from');
});

test('without keeping, the detail has no prompt or answer', async ({ page }) => {
  await runTest(page, 'capture-off', 'Where is Porto?');
  const grid = await openLatestCall(page, 'capture-off');
  await expect(grid.dialog.getByTestId('detail-call')).toBeVisible();
  await expect(grid.dialog.getByTestId('detail-exchange')).toHaveCount(0);
});

test('a retention outside 1 to 3650 days is refused next to the field', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.openFor('capture-off');
  await page.getByLabel('Keep them for (days)').fill('0');
  await editor.save.click();
  await expect(editor.toasts).toContainText('Not saved');
  await expect(page.getByText('Must be between 1 and 3650 days.').first()).toBeVisible();
});
