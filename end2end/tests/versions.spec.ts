// Versions: a change applied through the CLI mints v2; the console lists it, shows the diff
// against v1, and rolls back to v1, which the public API reflects without a restart.
import { expect, test, type APIRequestContext } from '../test';
import { applyIntegrations } from '../cli';
import { integration } from '../fixtures';
import { VersionsPage } from '../pages/versions';
import { signIn } from '../pages/login';

test.beforeEach(async ({ page }) => {
  await signIn(page);
});

const V1_PROMPT = 'Answer briefly: {{ question }}';

/** Whether the OpenAPI document offers seed-06 the variable only v2 declares. */
async function offersReaderLevel(request: APIRequestContext): Promise<boolean> {
  const response = await request.get('/api/ai/openapi.json');
  return JSON.stringify(await response.json()).includes('"reader_level"');
}

test('a new version can be compared with the last and rolled back', async ({ page, request }) => {
  const seeded = integration(6);
  applyIntegrations([
    {
      ...seeded,
      version: {
        ...seeded.version,
        prompt_template: 'Answer for a {{ reader_level }} reader.\nQuestion: {{ question }}',
        variables: [
          ...seeded.version.variables,
          { name: 'reader_level', type: 'string', required: false, description: null },
        ],
        notes: 'Adapts to the reader',
      },
    },
  ]);
  // The running server notices the change on its own.
  await expect.poll(() => offersReaderLevel(request)).toBe(true);

  const versions = new VersionsPage(page);
  await versions.openFor('seed-06');
  expect(await versions.numbers()).toEqual(['v2', 'v1']);
  await expect(versions.row(2)).toContainText('Active');
  await expect(versions.row(2)).toContainText('Adapts to the reader');
  await expect(versions.row(1)).not.toContainText('Active');

  await versions.view(1).click();
  await expect(versions.viewed).toContainText('Version v1');
  await expect(page.getByTestId('viewed-prompt')).toHaveText(V1_PROMPT);

  await expect(versions.from.locator('option:checked')).toHaveText('v1');
  await expect(versions.to.locator('option:checked')).toHaveText('v2');
  await versions.showDiff.click();
  await expect(versions.diff).toContainText('v1 → v2');
  await expect(versions.removedLines).toHaveCount(1);
  await expect(versions.removedLines).toContainText(V1_PROMPT);
  await expect(versions.addedLines).toHaveText([
    /Answer for a \{\{ reader_level \}\} reader\./,
    /Question: \{\{ question \}\}/,
  ]);
  await expect(versions.settingsDiff).toContainText('Variable reader_level');
  await expect(versions.settingsDiff).toContainText('Adapts to the reader');

  // Marks this document: if activating reloaded the page, the mark would be gone.
  await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
  await versions.activate(1).click();
  await expect(versions.confirmation).toContainText('Activate v1?');
  await versions.confirmation.getByRole('button', { name: 'Cancel' }).click();
  await expect(versions.confirmation).toBeHidden();
  await expect(versions.row(2)).toContainText('Active');

  await versions.activate(1).click();
  await versions.confirmActivate(1).click();
  await expect(versions.toasts).toContainText('Version v1 activated.');
  await expect(versions.confirmation).toBeHidden();
  await expect(versions.row(1)).toContainText('Active');
  await expect(versions.row(2)).not.toContainText('Active');
  await expect(versions.activate(2)).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);

  await expect.poll(() => offersReaderLevel(request)).toBe(false);
});

test('an integration with one version has nothing to activate and no difference', async ({ page }) => {
  const versions = new VersionsPage(page);
  await versions.openFor('seed-08');
  expect(await versions.numbers()).toEqual(['v1']);
  await expect(versions.row(1)).toContainText('Active');
  await expect(versions.activate(1)).toHaveCount(0);
  await versions.showDiff.click();
  await expect(versions.diff).toContainText('The two versions are the same.');
});
