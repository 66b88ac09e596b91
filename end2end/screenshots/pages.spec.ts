// `make screenshots`: one picture of each console page, in a state worth showing, written to
// docs/screenshots/ for the README. Not part of `make test`; the console tests cover behaviour.
import { expect, test, type Page } from '@playwright/test';
import * as path from 'node:path';
import { applyIntegrations } from '../cli';
import { integration } from '../fixtures';
import { FIRST_DAY, LAST_DAY, importRows } from '../invocations';
import { InvocationsPage } from '../pages/invocations';
import { EditorPage, SideBySide, TestPanel } from '../pages/editor';
import { LoginPage, signIn } from '../pages/login';
import { SettingsPage } from '../pages/settings';
import { TokensPage } from '../pages/tokens';
import { VersionsPage } from '../pages/versions';

const OUT = path.join(__dirname, '..', '..', 'docs', 'screenshots');

test.use({ viewport: { width: 1440, height: 900 } });
// One walk through every page, each waiting for the network to settle before its picture.
test.setTimeout(120_000);

async function shoot(page: Page, name: string, fullPage = true, settle = true) {
  // Nothing may still be loading in the picture. The docs frame keeps a connection open, so its
  // caller waits for what it shows instead.
  if (settle) await page.waitForLoadState('networkidle');
  await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage });
}

async function openEditor(page: Page, slug: string): Promise<EditorPage> {
  const editor = new EditorPage(page);
  await page.goto('/integrations');
  await page.getByRole('searchbox').fill(slug);
  await page.getByTestId(`row-${slug}`).getByRole('link', { name: 'Edit' }).click();
  await editor.waitForHydration();
  return editor;
}

test('sign-in', async ({ page }) => {
  const login = new LoginPage(page);
  await login.open();
  await login.waitForHydration();
  await shoot(page, 'login', false);
});

test('console pages', async ({ page }) => {
  await signIn(page);
  await shoot(page, 'home', false);

  await page.goto('/integrations');
  await expect(page.getByTestId('row-seed-01')).toBeVisible();
  await shoot(page, 'integrations', false);

  await openEditor(page, 'seed-02');
  await shoot(page, 'editor');

  const panel = new TestPanel(page);
  await panel.argument('question').fill('What does an AI gateway do?');
  await panel.run.click();
  await expect(panel.summary).toContainText('tokens');
  await page.locator('#test').scrollIntoViewIfNeeded();
  await shoot(page, 'test-panel', false);

  const sideBySide = new SideBySide(page);
  await sideBySide.open();
  for (const model of ['openai/gpt-4o-mini', 'anthropic/claude-haiku-4.5', 'google/gemini-2.5-flash']) {
    await sideBySide.addModel(model);
  }
  await sideBySide.runButton(3).click();
  await expect(sideBySide.root.getByTestId('test-summary')).toHaveCount(3);
  await sideBySide.root.scrollIntoViewIfNeeded();
  await shoot(page, 'side-by-side', false);

  const seeded = integration(5);
  applyIntegrations([
    {
      ...seeded,
      version: {
        ...seeded.version,
        prompt_template: 'Answer briefly and cite a source: {{ question }}',
        models: ['anthropic/claude-haiku-4.5', 'openai/gpt-4o-mini'],
        notes: 'Cites sources; Claude first',
      },
    },
  ]);
  const versions = new VersionsPage(page);
  await expect(async () => {
    await versions.openFor('seed-05');
    expect(await versions.numbers()).toEqual(['v2', 'v1']);
  }).toPass();
  await versions.showDiff.click();
  await expect(versions.diff).toBeVisible();
  await shoot(page, 'versions');

  importRows();
  const invocations = new InvocationsPage(page);
  await invocations.open();
  await invocations.filter({ from: FIRST_DAY, until: LAST_DAY });
  await expect(invocations.chart).toBeVisible();
  await shoot(page, 'invocations');
  const [first] = await invocations.ids();
  await invocations.view(first);
  await shoot(page, 'invocation-detail', false);
  await page.keyboard.press('Escape');

  const settings = new SettingsPage(page);
  await settings.open();
  await shoot(page, 'settings');

  const tokens = new TokensPage(page);
  await tokens.open();
  for (const [name, lifetime] of [['n8n production', 'Never'], ['reporting job', '90 days']]) {
    await tokens.create.click();
    await tokens.name.fill(name);
    await tokens.expiration.selectOption({ label: lifetime });
    await tokens.submit.click();
    await expect(tokens.row(name)).toBeVisible();
  }
  await shoot(page, 'tokens', false);

  await page.goto('/docs');
  await expect(
    page.frameLocator('iframe[title="AI Gateway API documentation"]').getByRole('link', { name: 'OpenAI-compatible', exact: true }),
  ).toBeVisible({ timeout: 20_000 });
  await shoot(page, 'api-docs', false, false);
});
