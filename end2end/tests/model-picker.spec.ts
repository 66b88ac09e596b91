// The editor's model picker by keyboard alone: it is a combobox whose arrows move through the
// matches, Enter picks the highlighted model without submitting the editor's form, and Escape
// closes the list.
import { expect, test } from '../test';
import { EditorPage } from '../pages/editor';
import { signIn } from '../pages/login';

test.beforeEach(async ({ page }) => {
  await signIn(page);
});

test('arrows and Enter pick a model and never submit the form', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.openNew();
  // Counts submissions of any form, whatever the app does with them afterwards.
  await page.evaluate(() => {
    document.documentElement.dataset.submits = '0';
    document.addEventListener('submit', () => {
      const count = Number(document.documentElement.dataset.submits) + 1;
      document.documentElement.dataset.submits = String(count);
    }, true);
  });
  const search = editor.modelSearch;
  const list = page.locator(`#${await search.getAttribute('aria-controls')}`);

  await search.click();
  await page.keyboard.type('gpt-4o');
  await expect(search).toHaveAttribute('aria-expanded', 'true');
  const options = list.getByRole('option');
  expect(await options.count()).toBeGreaterThan(2);
  await expect(options.nth(0)).toHaveAttribute('aria-selected', 'true');

  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowUp');
  const highlighted = options.nth(1);
  await expect(highlighted).toHaveAttribute('aria-selected', 'true');
  await expect(search).toHaveAttribute('aria-activedescendant', (await highlighted.getAttribute('id')) ?? 'missing');
  const id = ((await highlighted.locator('.font-mono').textContent()) ?? '').trim();

  await page.keyboard.press('Enter');

  await expect(editor.chosenModels).toContainText(id);
  await expect(search).toHaveValue('');
  await expect(search).toHaveAttribute('aria-expanded', 'false');
  expect(await page.evaluate(() => document.documentElement.dataset.submits)).toBe('0');
  await expect(page).toHaveURL(/\/integrations\/new$/);
  await expect(editor.toasts).toBeEmpty();

  await page.keyboard.type('claude');
  await expect(list.getByRole('option').first()).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(search).toHaveAttribute('aria-expanded', 'false');
  await expect(list.getByRole('option')).toHaveCount(0);
  // Enter with the list closed still does not submit the form.
  await page.keyboard.press('Enter');
  expect(await page.evaluate(() => document.documentElement.dataset.submits)).toBe('0');
});
