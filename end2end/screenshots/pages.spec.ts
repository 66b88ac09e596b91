// `make screenshots`: one picture of each console page, in a state worth showing, written to
// docs/screenshots/ for the README. Not part of `make test`; the console tests cover behaviour.
import { expect, test, type Page } from '@playwright/test';
import * as path from 'node:path';
import { applyIntegrations, cli } from '../cli';
import { integration } from '../fixtures';
import { FIRST_DAY, LAST_DAY, importRows } from '../invocations';
import { InvocationsPage } from '../pages/invocations';
import { DashboardPage } from '../pages/dashboard';
import { DraftWithAi, EditorPage, SideBySide, TestPanel } from '../pages/editor';
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

test('sign-in', async ({ page }) => {
  const login = new LoginPage(page);
  await login.open();
  await login.waitForHydration();
  await shoot(page, 'login', false);
});

test('console pages', async ({ page }) => {
  await signIn(page);

  await page.goto('/integrations');
  await expect(page.getByTestId('row-seed-01')).toBeVisible();
  await shoot(page, 'integrations', false);

  await new EditorPage(page).openFor('seed-02');
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

  const draft = new DraftWithAi(page);
  await draft.brief.fill('Answer questions about our refund policy for a given order');
  await draft.ask.click();
  await expect(page.getByLabel('Variable 2 name')).toHaveValue('input');
  await page.getByRole('heading', { name: 'Draft with AI' }).evaluate((heading) => heading.scrollIntoView({ block: 'start' }));
  await shoot(page, 'draft-with-ai', false);

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

  // Calls through the public API, so that the overview has something to show.
  applyIntegrations([
    // A short answer keeps each call's worst case well under this small cap, so the bar shows.
    {
      ...integration(1),
      slug: 'support-replies',
      name: 'Support replies',
      visibility: 'public',
      daily_cap: 150_000,
      version: { ...integration(1).version, default_params: { max_tokens: 100 } },
    },
    { ...integration(4), slug: 'lead-summary', name: 'Lead summary', visibility: 'public', daily_cap: null },
  ]);
  const token = cli('token', 'create', '--name', 'helpdesk widget').trim().split('\n').pop() ?? '';
  await expect
    .poll(async () => JSON.stringify(await (await page.request.get('/api/ai/openapi.json')).json()))
    .toContain('/api/ai/lead-summary/chat');
  const call = (slug: string, args: object) =>
    page.request.post(`/api/ai/${slug}/chat`, { headers: { Authorization: `Bearer ${token}` }, data: { args } });
  // The server learns of the new token within a second.
  await expect.poll(async () => (await call('support-replies', { question: 'Where is my parcel?' })).status()).toBe(200);
  await call('support-replies', { question: 'Can I change the delivery address after ordering?' });
  await call('support-replies', { question: 'Do you ship to Norway?' });
  await call('lead-summary', { question: 'Acme Corp, 40 seats, wants a demo next week' });
  await call('lead-summary', {});
  const dashboard = new DashboardPage(page);
  await dashboard.open();
  await dashboard.waitForHydration();
  await dashboard.refreshUntil(async () => {
    await expect(dashboard.top('lead-summary')).toHaveText(['lead-summary', '2', '1', /^\$/], { timeout: 1000 });
  });
  await shoot(page, 'dashboard');

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
