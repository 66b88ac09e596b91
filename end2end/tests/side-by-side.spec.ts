// Side-by-side runs: the same question to four models at once, each column answering on its own
// (a failing model fails alone), and "Promote" saving the chosen model as the new primary.
import { expect, test } from '../test';
import { EditorPage, SideBySide, TestPanel } from '../pages/editor';
import { signIn } from '../pages/login';
import { VersionsPage } from '../pages/versions';

const MODELS = [
  'openai/gpt-4o-mini',
  'anthropic/claude-haiku-4.5',
  'google/gemini-2.5-flash',
  'mistralai/mistral-small-3.2-24b-instruct',
];

// The later tests build on the versions the promotion mints.
test.describe.configure({ mode: 'serial' });

test.beforeEach(async ({ page }) => {
  await signIn(page);
});

/** Opens seed-04's editor (no other test changes it) at its side-by-side tab. */
async function openSideBySide(page: import('@playwright/test').Page): Promise<SideBySide> {
  const editor = new EditorPage(page);
  await page.goto('/integrations');
  await page.getByRole('searchbox').fill('seed-04');
  await page.getByTestId('row-seed-04').getByRole('link', { name: 'Edit' }).click();
  await editor.waitForHydration();
  await new TestPanel(page).argument('question').fill('What is a gateway?');
  const sideBySide = new SideBySide(page);
  await sideBySide.open();
  return sideBySide;
}

test('a failing model shows its error while the others answer', async ({ page }) => {
  const sideBySide = await openSideBySide(page);
  await sideBySide.addModel('openai/gpt-4o-mini');
  await expect(sideBySide.runButton(1)).toBeDisabled();
  // An id the catalog does not list can still be tried: the simulator fails it on purpose.
  await sideBySide.addModel('simulator/error-503');
  await sideBySide.runButton(2).click();

  const failing = sideBySide.column('simulator/error-503');
  await expect(failing.getByTestId('test-error')).toContainText('The AI provider request failed');
  await expect(failing.getByTestId('test-summary')).toHaveCount(0);
  await expect(failing.getByRole('button', { name: /Promote/ })).toHaveCount(0);

  const working = sideBySide.column('openai/gpt-4o-mini');
  await expect(working.getByTestId('test-answer')).toContainText('Simulated answer from openai/gpt-4o-mini');
  await expect(working.getByTestId('test-summary')).toContainText('tokens');
  await expect(working.getByTestId('test-error')).toHaveCount(0);
});

test('four models run side by side and the promoted one becomes the primary of a new version', async ({ page }) => {
  const sideBySide = await openSideBySide(page);
  for (const model of MODELS) {
    await sideBySide.addModel(model);
  }
  await expect(sideBySide.columns).toHaveCount(4);
  await sideBySide.runButton(4).click();

  for (const model of MODELS) {
    const column = sideBySide.column(model);
    await expect(column.getByTestId('test-answer')).toContainText(`Simulated answer from ${model}`);
    const summary = column.getByTestId('test-summary');
    await expect(summary).toContainText('tokens');
    await expect(summary).toContainText('$');
    await expect(summary).toContainText(' ms');
    await expect(summary).toContainText(model);
  }

  await sideBySide.promote('google/gemini-2.5-flash').click();
  const editor = new EditorPage(page);
  await expect(editor.toasts).toContainText('Saved as version 2.');
  await expect(editor.chosenModels.getByRole('listitem').first()).toContainText('google/gemini-2.5-flash');
  await expect(editor.chosenModels.getByRole('listitem').first()).toContainText('Primary');

  const versions = new VersionsPage(page);
  await versions.openFor('seed-04');
  expect(await versions.numbers()).toEqual(['v2', 'v1']);
  await expect(versions.row(2)).toContainText('Active');
  await versions.view(2).click();
  await expect(versions.viewed).toContainText(
    'google/gemini-2.5-flash, openai/gpt-4o-mini, anthropic/claude-haiku-4.5',
  );
});

test('an older version loads into the form and a chosen version can be tested', async ({ page }) => {
  // After the promotion above, seed-04 has v1 (gpt-4o-mini first) and the active v2.
  const versions = new VersionsPage(page);
  await versions.openFor('seed-04');
  await page.getByRole('link', { name: 'Load v1 into the editor' }).click();
  const editor = new EditorPage(page);
  await editor.waitForHydration();
  await expect(page.getByTestId('loaded-version')).toContainText("The form holds v1's setup");
  await expect(editor.chosenModels.getByRole('listitem').first()).toContainText('openai/gpt-4o-mini');

  const panel = new TestPanel(page);
  await panel.argument('question').fill('Which model are you?');
  await page.getByLabel('Saved version to test').selectOption({ label: 'v2 (active)' });
  await panel.run.click();
  await expect(panel.answer).toContainText('Simulated answer from google/gemini-2.5-flash');
  await page.getByLabel('Saved version to test').selectOption({ label: 'v1' });
  await panel.run.click();
  await expect(panel.answer).toContainText('Simulated answer from openai/gpt-4o-mini');

  // Saving the loaded form makes it the newest version.
  await editor.save.click();
  await expect(editor.toasts).toContainText('Saved as version 3.');
  await expect(page).toHaveURL(/\/integrations\/\d+$/);
  await expect(page.getByTestId('loaded-version')).toHaveCount(0);
});
