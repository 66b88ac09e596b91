// Page object for the interactive API docs at {prefix}/docs (Scalar, served by the gateway itself).
import { type Locator, type Page } from '@playwright/test';

const LOCAL = /^(http:\/\/(127\.0\.0\.1|localhost)(:\d+)?\/|data:|blob:)/;

export class ApiDocsPage {
  readonly openAiGroup: Locator;
  /** Every request the page tried to send beyond this machine; all of them are refused. */
  readonly foreignRequests: string[] = [];

  constructor(private readonly page: Page) {
    this.openAiGroup = page.getByRole('link', { name: 'OpenAI-compatible', exact: true });
  }

  /** The sidebar entry of an integration (one group per API-visible integration). */
  integration(slug: string): Locator {
    return this.page.getByRole('link', { name: slug, exact: true });
  }

  /** Opens the page with the network cut off beyond localhost. */
  async openOffline(prefix = '/api/ai') {
    await this.page.route('**/*', (route) => {
      const url = route.request().url();
      if (LOCAL.test(url)) return route.continue();
      this.foreignRequests.push(url);
      return route.abort('internetdisconnected');
    });
    await this.page.goto(`${prefix}/docs`);
  }
}
