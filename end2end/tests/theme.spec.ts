// Light and dark: the console follows the system's preference from the very first paint, the
// header's toggle switches and remembers the choice, and the API docs frame takes the same theme.
import { expect, test, type Page } from '../test';
import { openSettled, shareOneSignIn } from '../console';

shareOneSignIn();

/** Records, in the first animation frame (before the first paint), whether the page was dark. */
async function recordFirstPaint(page: Page) {
  await page.addInitScript(() => {
    requestAnimationFrame(() => {
      (window as unknown as { firstPaintDark: boolean }).firstPaintDark =
        document.documentElement.classList.contains('dark');
    });
  });
}

const firstPaintDark = (page: Page) =>
  page.evaluate(() => (window as unknown as { firstPaintDark?: boolean }).firstPaintDark);

/** The page's background, as `rgb(…)`, brighter than mid-grey or not. */
const backgroundIsLight = (page: Page) =>
  page.evaluate(() => {
    const canvas = document.createElement('canvas').getContext('2d');
    if (!canvas) return null;
    canvas.fillStyle = getComputedStyle(document.body).backgroundColor;
    canvas.fillRect(0, 0, 1, 1);
    const [r, g, b] = canvas.getImageData(0, 0, 1, 1).data;
    return (r + g + b) / 3 > 128;
  });

test('a system that prefers dark gets a dark console from the first paint', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await recordFirstPaint(page);
  await openSettled(page, '/');

  expect(await firstPaintDark(page)).toBe(true);
  expect(await backgroundIsLight(page)).toBe(false);
  await expect(page.getByTestId('theme-toggle')).toHaveAttribute('aria-pressed', 'true');
});

test('the toggle switches, is remembered over the system preference, and themes the docs', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'light' });
  await recordFirstPaint(page);
  await openSettled(page, '/');
  const toggle = page.getByTestId('theme-toggle');
  await expect(toggle).toHaveAttribute('aria-pressed', 'false');
  expect(await backgroundIsLight(page)).toBe(true);

  await toggle.click();

  await expect(toggle).toHaveAttribute('aria-pressed', 'true');
  await expect(page.locator('html')).toHaveClass(/\bdark\b/);
  expect(await backgroundIsLight(page)).toBe(false);

  await page.goto('/docs');
  expect(await firstPaintDark(page)).toBe(true);
  const frame = page.getByTitle('AI Gateway API documentation');
  await expect(frame).toHaveAttribute('src', /\?theme=dark$/);

  await page.getByTestId('theme-toggle').click();
  await expect(page.locator('html')).not.toHaveClass(/\bdark\b/);
  await expect(frame).toHaveAttribute('src', /\?theme=light$/);
  await page.reload();
  expect(await firstPaintDark(page)).toBe(false);
});
