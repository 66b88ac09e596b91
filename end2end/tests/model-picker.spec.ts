// The editor's model picker: by keyboard alone it is a combobox whose arrows move through the
// matches, Enter picks the highlighted model without submitting the editor's form, and Escape
// closes the list; words match apart and by tag, and the filters and sort narrow and order.
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
  // Two words, neither the id's spelling: the closest models still come first.
  await page.keyboard.type('gpt 4o');
  await expect(search).toHaveAttribute('aria-expanded', 'true');
  const options = list.getByRole('option');
  await expect(options.first()).toContainText('gpt-4o');
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

/** The prompt price per million tokens an option shows (`free` is 0). */
function promptPrice(text: string): number {
  const price = /(free|\$[\d.]+) \/ (?:free|\$[\d.]+) per M tokens/.exec(text)?.[1];
  if (price === undefined) throw new Error(`no price in ${text}`);
  return price === 'free' ? 0 : Number(price.slice(1));
}

test('a tag finds models by price, and the filters and sort narrow and order them', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.openNew();
  const search = editor.modelSearch;
  const list = page.locator(`#${await search.getAttribute('aria-controls')}`);
  const options = list.getByRole('option');

  await search.fill('cheap');
  await expect(options.first()).toBeVisible();
  const filters = page.getByTestId('model-filters').first();
  await filters.getByText('Filters and sort').click();
  await filters.getByLabel('Sort by').selectOption('Price');
  await expect(options.first()).toBeVisible();
  const prices = (await options.allTextContents()).map(promptPrice);
  expect(prices.length).toBeGreaterThan(1);
  expect(prices).toEqual([...prices].sort((a, b) => a - b));
  // `cheap` is at most $0.50 per million prompt tokens.
  expect(Math.max(...prices)).toBeLessThanOrEqual(0.5);

  await filters.getByLabel('Max input $ / M tokens').fill('0');
  await expect(options.first()).toBeVisible();
  for (const text of await options.allTextContents()) expect(promptPrice(text)).toBe(0);

  await search.fill('');
  await filters.getByLabel('Max input $ / M tokens').fill('');
  await filters.getByLabel('Provider').selectOption('anthropic');
  await filters.getByLabel('Sort by').selectOption('Name');
  await expect(options.first()).toBeVisible();
  for (const text of await options.allTextContents()) expect(text).toMatch(/^anthropic\//);
});
