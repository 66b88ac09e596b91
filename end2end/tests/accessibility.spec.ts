// Accessibility: axe-core finds no serious or critical violation on any page (names, labels,
// contrast, roles), and keyboard focus is visible on every control the Tab key reaches.
import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '../test';
import { PAGES, openSettled, shareOneSignIn } from '../console';

shareOneSignIn();

/** How many Tab presses each page is walked through. */
const TABS = 12;

for (const path of [...PAGES, '/login']) {
  test(`${path} has no serious accessibility violation`, async ({ page }) => {
    await openSettled(page, path);

    // The docs frame holds the API reference bundle, a separate document with its own markup.
    const { violations } = await new AxeBuilder({ page }).exclude('iframe').analyze();

    const serious = violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    expect(serious).toEqual([]);
  });

  test(`${path} shows where the keyboard focus is`, async ({ page }) => {
    await openSettled(page, path);
    const invisible: string[] = [];
    for (let press = 0; press < TABS; press++) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const element = document.activeElement;
        if (!element || element === document.body || element.tagName === 'IFRAME') return null;
        const style = getComputedStyle(element);
        const outlined = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
        return { outlined, name: `${element.tagName.toLowerCase()} ${element.textContent?.trim().slice(0, 40) ?? ''}` };
      });
      if (focused && !focused.outlined) invisible.push(focused.name);
    }
    expect(invisible, 'focused without a visible outline').toEqual([]);
  });
}

test('the sign-in page puts the cursor in the email field', async ({ browser }) => {
  const page = await browser.newPage();
  await page.goto('/login');
  await expect(page.getByLabel('Email')).toBeFocused();
  await page.close();
});
