// Draft with AI: the helper model (the simulator in demo mode) turns a description into a prompt
// and its variables in the form; nothing is saved until the admin saves.
import { expect, test } from '../test';
import { DraftWithAi, EditorPage } from '../pages/editor';
import { signIn } from '../pages/login';
import { VersionsPage } from '../pages/versions';

test.beforeEach(async ({ page }) => {
  await signIn(page);
});

const SEEDED_PROMPT = 'Answer briefly: {{ question }}';

test('a description becomes the prompt and variables of the form, and nothing is saved', async ({ page }) => {
  const versions = new VersionsPage(page);
  await versions.openFor('seed-07');
  expect(await versions.numbers()).toEqual(['v1']);

  const editor = new EditorPage(page);
  await editor.openFor('seed-07');
  await expect(editor.prompt).toHaveValue(SEEDED_PROMPT);
  const draft = new DraftWithAi(page);
  await expect(draft.ask).toBeDisabled();
  await draft.brief.fill('Summarise a support ticket for the engineer on call');
  await draft.ask.click();

  // The existing prompt is improved: its variable stays, the helper adds its own.
  await expect(editor.prompt).toHaveValue(/Summarise a support ticket for the engineer on call/);
  await expect(editor.prompt).toHaveValue(/\{\{ question \}\}/);
  await expect(editor.prompt).toHaveValue(/\{\{ input \}\}/);
  await expect(page.getByLabel('Variable 1 name')).toHaveValue('question');
  await expect(page.getByLabel('Variable 2 name')).toHaveValue('input');
  await expect(editor.warnings).toBeEmpty();
  await expect(editor.toasts).toContainText('Draft inserted. Simulated draft from anthropic/claude-haiku-4.5.');
  await expect(draft.error).toBeHidden();
  await expect(draft.ask).toHaveText('Draft with AI');

  // Leaving without saving keeps the stored version as it was.
  await page.reload();
  await editor.waitForHydration();
  await expect(editor.prompt).toHaveValue(SEEDED_PROMPT);
  await versions.openFor('seed-07');
  expect(await versions.numbers()).toEqual(['v1']);
});
