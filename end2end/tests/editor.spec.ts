// The integration editor: create from the catalog with variables inserted by chips, validation
// next to the fields, and saves that mint a version only when the prompt or models changed.
import { expect, test } from '../test';
import { EditorPage } from '../pages/editor';
import { signIn } from '../pages/login';

test.beforeEach(async ({ page }) => {
  await signIn(page);
});

test('an integration is created from the catalog with two variables inserted by chips', async ({ page, request }) => {
  const editor = new EditorPage(page);
  await editor.openNew();
  await editor.slug.fill('lead-summary');
  await editor.name.fill('Lead summary');
  await editor.pickModel('openai/gpt-4o-mini');
  // Picking a model fills in its default parameters.
  await expect(editor.parameter('temperature')).not.toHaveValue('');
  await editor.pickModel('anthropic/claude-haiku-4.5');
  await expect(editor.chosenModels.getByRole('listitem')).toHaveCount(2);

  await editor.declareVariable(1, 'company', 'The company name');
  await editor.declareVariable(2, 'notes', 'What sales wrote down');
  await editor.prompt.fill('Summarise the lead for ');
  await editor.caretToEnd();
  await editor.chip('company').click();
  await editor.prompt.press('End');
  await editor.prompt.pressSequentially(' given: ');
  await editor.chip('notes').click();
  await expect(editor.prompt).toHaveValue('Summarise the lead for {{company}} given: {{notes}}');
  await expect(editor.warnings).toBeEmpty();

  await editor.prompt.pressSequentially(' {{tone}}');
  await expect(editor.warnings).toContainText('{{tone}} is used in the prompt but not declared');
  await editor.prompt.fill('Summarise the lead for {{company}} given: {{notes}}');

  await editor.visibility.selectOption('public');
  await editor.save.click();
  await expect(editor.toasts).toContainText('Created with version 1.');
  await expect(page).toHaveURL(/\/integrations\/\d+$/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('lead-summary (active version v1)');

  const document = await (await request.get('/api/ai/openapi.json')).json();
  const body = document.paths['/api/ai/lead-summary/chat'].post.requestBody.content['application/json'].schema;
  expect(Object.keys(body.properties.args.properties)).toEqual(['company', 'notes']);
});

test('editing the prompt mints a version, saving again does not', async ({ page }) => {
  const editor = new EditorPage(page);
  await page.goto('/integrations');
  await page.getByTestId('row-seed-09').getByRole('link', { name: 'Edit' }).click();
  await editor.waitForHydration();
  await expect(editor.slug).toBeDisabled();
  await editor.prompt.fill('Answer briefly and politely: {{ question }}');
  await editor.save.click();
  await expect(editor.toasts).toContainText('Saved as version 2.');
  await editor.save.click();
  await expect(editor.toasts).toContainText('Nothing changed.');
});

test('problems are shown next to their fields and nothing is saved', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.openNew();
  await editor.slug.fill('seed-01');
  await expect(page.getByText('The slug "seed-01" is already taken.').first()).toBeVisible();
  await editor.slug.fill('Bad Slug');
  await editor.name.fill('Broken');
  await editor.prompt.fill('Hello {{ who }');
  await editor.save.click();
  await expect(editor.toasts).toContainText('Not saved');
  await expect(editor.saveErrors).toContainText('slug');
  await expect(editor.saveErrors).toContainText('version.models');
  await expect(page).toHaveURL(/\/integrations\/new$/);
});

test('what callers may send is saved and shown again after a reload', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.openFor('seed-05');
  await expect(editor.vision).not.toBeChecked();
  await expect(editor.tools).not.toBeChecked();
  await expect(editor.systemMessages).toBeChecked();
  await editor.vision.check();
  await editor.tools.check();
  await editor.systemMessages.uncheck();
  await editor.save.click();
  await expect(editor.toasts).toContainText('Saved; the prompt and models are unchanged, so no new version.');

  await page.reload();
  await editor.waitForHydration();
  await expect(editor.vision).toBeChecked();
  await expect(editor.tools).toBeChecked();
  await expect(editor.systemMessages).not.toBeChecked();

  await editor.vision.uncheck();
  await editor.systemMessages.check();
  await editor.save.click();
  await expect(editor.toasts).toContainText('Saved; the prompt and models are unchanged');
  await page.reload();
  await editor.waitForHydration();
  await expect(editor.vision).not.toBeChecked();
  await expect(editor.tools).toBeChecked();
  await expect(editor.systemMessages).toBeChecked();
});
