// The editor's test panel streams the answer of the unsaved form, then its usage and cost; a bad
// call shows the server's reason instead.
import { expect, test } from '../test';
import { EditorPage, TestPanel } from '../pages/editor';
import { signIn } from '../pages/login';

test.beforeEach(async ({ page }) => {
  await signIn(page);
});

test('the unsaved form is run and its answer and usage are shown', async ({ page }) => {
  const editor = new EditorPage(page);
  await page.goto('/integrations');
  await page.getByTestId('row-seed-02').getByRole('link', { name: 'Edit' }).click();
  await editor.waitForHydration();
  // Unsaved: the model changes only in the form.
  await editor.chosenModels.getByRole('button', { name: 'Make anthropic/claude-haiku-4.5 primary' }).click();
  const panel = new TestPanel(page);
  await panel.argument('question').fill('What is a gateway?');
  await panel.message.fill('Keep it short.');
  await panel.run.click();
  await expect(panel.answer).toContainText('Simulated answer from anthropic/claude-haiku-4.5');
  await expect(panel.summary).toContainText('tokens');
  await expect(panel.summary).toContainText('$');
  await expect(panel.summary).toContainText('ms');
  await expect(panel.summary).toContainText('anthropic/claude-haiku-4.5');
});

test('a call the server refuses shows why', async ({ page }) => {
  const editor = new EditorPage(page);
  await page.goto('/integrations');
  await page.getByTestId('row-seed-06').getByRole('link', { name: 'Edit' }).click();
  await editor.waitForHydration();
  const panel = new TestPanel(page);
  await panel.run.click();
  await expect(panel.error).toContainText('question');
  await expect(panel.summary).toHaveCount(0);
});
