// Narrow screens: at a phone's 390 × 844 every page fits the width (wide tables scroll inside
// their own box, never the whole document), and the sidebar becomes a menu behind a button.
import { expect, test } from '../test';
import { PAGES, openSettled, shareOneSignIn } from '../console';

test.use({ viewport: { width: 390, height: 844 } });

shareOneSignIn();

for (const path of PAGES) {
  test(`${path} fits 390 px without sideways scrolling`, async ({ page }) => {
    await openSettled(page, path);

    const { scrollWidth, clientWidth } = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      clientWidth: document.documentElement.clientWidth,
    }));
    expect(scrollWidth, `${path} is ${scrollWidth - clientWidth} px too wide`).toBeLessThanOrEqual(clientWidth);
  });
}

test('the menu button opens the navigation, which navigates and closes', async ({ page }) => {
  await openSettled(page, '/');
  const nav = page.getByRole('navigation', { name: 'Console' });
  const menu = nav.getByRole('button', { name: 'Menu' });
  const invocations = nav.getByRole('link', { name: 'Invocations' });
  await expect(invocations).toBeHidden();

  await menu.click();
  await expect(nav.getByRole('button', { name: 'Close menu' })).toHaveAttribute('aria-expanded', 'true');
  await invocations.click();

  await expect(page).toHaveURL(/\/invocations$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Invocations' })).toBeVisible();
  await expect(invocations).toBeHidden();
  await expect(menu).toHaveAttribute('aria-expanded', 'false');

  await menu.click();
  await nav.getByRole('button', { name: 'Close menu' }).click();
  await expect(invocations).toBeHidden();
});

test('the sign-in page fits 390 px', async ({ browser }) => {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  await page.goto('/login');
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow).toBeLessThanOrEqual(0);
  await page.close();
});

test('on a wide screen the sidebar shows its links and no menu button', async ({ page }) => {
  await page.setViewportSize({ width: 1024, height: 800 });
  await openSettled(page, '/');
  const nav = page.getByRole('navigation', { name: 'Console' });
  await expect(nav.getByRole('link', { name: 'Invocations' })).toBeVisible();
  await expect(nav.getByRole('button', { name: 'Menu' })).toBeHidden();
});
