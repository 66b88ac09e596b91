// The `test` every spec imports: Playwright's, with a guard that fails a test when any page of its
// browser context reports a Content-Security-Policy violation (a blocked script, style, frame or
// connection), so the whole suite runs as proof that the console works under its policy.
import { test as base, expect } from '@playwright/test';

export { expect };
export type { APIRequestContext, Page } from '@playwright/test';

export const test = base.extend<{ cspViolations: string[] }>({
  cspViolations: async ({}, use) => {
    await use([]);
  },
  context: async ({ context, cspViolations }, use) => {
    // Init scripts run through the browser's debugging protocol, outside the page's policy.
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        console.error(
          `Content Security Policy violation: ${event.violatedDirective} blocked ${event.blockedURI || 'inline'}` +
            ` at ${event.sourceFile}:${event.lineNumber}`,
        );
      });
    });
    context.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) {
        cspViolations.push(`${message.page()?.url() ?? ''}: ${message.text()}`);
      }
    });
    await use(context);
    expect(cspViolations, 'Content Security Policy violations reported by the browser').toEqual([]);
  },
});
