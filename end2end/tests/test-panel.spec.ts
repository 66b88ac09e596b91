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

test('only web addresses among the cited sources become links', async ({ page }) => {
  // The simulator cites nothing: the run's real stream gets cited sources added to its `done` event.
  await page.route('**/console/test-run', async (route) => {
    const response = await route.fetch();
    const events = (await response.text()).split('\n\n').map((block) => {
      if (!block.startsWith('event: done')) return block;
      const [name, data] = block.split('\ndata: ');
      const done = JSON.parse(data);
      done.data.citations = [
        { url: 'https://example.com/source', title: 'A real source' },
        { url: 'javascript:alert(document.cookie)', title: 'Click me' },
        { url: 'data:text/html,<script>alert(1)</script>', title: 'data:text/html,<script>alert(1)</script>' },
      ];
      return `${name}\ndata: ${JSON.stringify(done)}`;
    });
    await route.fulfill({ response, body: events.join('\n\n') });
  });
  const editor = new EditorPage(page);
  await page.goto('/integrations');
  await page.getByTestId('row-seed-02').getByRole('link', { name: 'Edit' }).click();
  await editor.waitForHydration();
  const panel = new TestPanel(page);
  await panel.argument('question').fill('Where from?');
  await panel.run.click();

  await expect(panel.citations.getByRole('listitem')).toHaveCount(3);
  const links = panel.citations.getByRole('link');
  await expect(links).toHaveCount(1);
  await expect(links).toHaveAttribute('href', 'https://example.com/source');
  await expect(links).toHaveText('A real source');
  await expect(panel.citations).toContainText('Click me (javascript:alert(document.cookie))');
  await expect(panel.citations).toContainText('data:text/html,<script>alert(1)</script>');
});
