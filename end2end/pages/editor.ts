// Page object for the integration editor (/integrations/new and /integrations/{id}).
import { expect, type Locator, type Page } from '@playwright/test';

export class EditorPage {
  readonly slug: Locator;
  readonly name: Locator;
  readonly modelSearch: Locator;
  readonly chosenModels: Locator;
  readonly prompt: Locator;
  readonly chips: Locator;
  readonly warnings: Locator;
  readonly addVariable: Locator;
  readonly visibility: Locator;
  readonly save: Locator;
  readonly toasts: Locator;
  readonly saveErrors: Locator;
  readonly caching: Locator;
  readonly vision: Locator;
  readonly tools: Locator;
  readonly systemMessages: Locator;

  constructor(private readonly page: Page) {
    this.slug = page.getByLabel('Slug');
    this.name = page.getByLabel('Name', { exact: true });
    this.modelSearch = page.getByLabel('Search models');
    this.chosenModels = page.getByTestId('chosen-models');
    this.prompt = page.getByLabel('System prompt');
    this.chips = page.getByTestId('variable-chips');
    this.warnings = page.getByTestId('prompt-warnings');
    this.addVariable = page.getByRole('button', { name: 'Add variable' });
    this.visibility = page.getByLabel('Visibility', { exact: true });
    this.save = page.getByRole('button', { name: 'Save' });
    this.toasts = page.getByTestId('toasts');
    this.saveErrors = page.getByTestId('save-errors');
    this.caching = page.getByTestId('caching');
    this.vision = page.getByLabel('Images in messages');
    this.tools = page.getByLabel('Tools: callers offer functions');
    this.systemMessages = page.getByLabel('System and developer messages after the prompt');
  }

  async openNew() {
    await this.page.goto('/integrations/new');
    await this.waitForHydration();
  }

  async waitForHydration() {
    await expect(this.page.locator('[data-hydrated="true"]')).toBeVisible();
  }

  /** Opens the integration `slug` from the integrations list, as an admin would. */
  async openFor(slug: string) {
    await this.page.goto('/integrations');
    await this.waitForHydration();
    await this.page.getByRole('searchbox').fill(slug);
    await this.page.getByTestId(`row-${slug}`).getByRole('link', { name: 'Edit' }).click();
    await this.waitForHydration();
  }

  /** Searches the catalog and picks the model with exactly this id. */
  async pickModel(id: string) {
    await pickModelOption(this.modelSearch, id);
    await expect(this.chosenModels).toContainText(id);
  }

  async declareVariable(index: number, name: string, description: string) {
    await this.addVariable.click();
    await this.page.getByLabel(`Variable ${index} name`).fill(name);
    await this.page.getByLabel(`Variable ${index} name`).blur();
    await this.page.getByLabel(`Variable ${index} description`).fill(description);
    await this.page.getByLabel(`Variable ${index} description`).blur();
  }

  chip(name: string): Locator {
    return this.chips.getByRole('button', { name, exact: true });
  }

  parameter(name: string): Locator {
    return this.page.getByLabel(`Parameter ${name}`);
  }

  /** Puts the caret at the end of the prompt text. */
  async caretToEnd() {
    await this.prompt.click();
    await this.prompt.press('End');
    await this.prompt.press('Control+End');
  }
}

/** The test panel at the bottom of the edit page. */
export class TestPanel {
  readonly run: Locator;
  readonly answer: Locator;
  readonly summary: Locator;
  readonly citations: Locator;
  readonly error: Locator;
  readonly message: Locator;

  constructor(private readonly page: Page) {
    const panel = page.getByTestId('test-panel');
    this.run = panel.getByRole('button', { name: 'Run test' });
    this.answer = panel.getByTestId('test-answer');
    this.summary = panel.getByTestId('test-summary');
    this.citations = panel.getByTestId('test-citations');
    this.error = panel.getByTestId('test-error');
    this.message = panel.getByLabel('Extra user message');
  }

  argument(name: string): Locator {
    return this.page.getByLabel(`Argument ${name}`);
  }
}

/** The test panel's side-by-side tab: columns of models or versions run on the same inputs. */
export class SideBySide {
  readonly root: Locator;
  readonly modelSearch: Locator;
  readonly versionChoice: Locator;
  readonly addVersion: Locator;
  readonly columns: Locator;

  constructor(private readonly page: Page) {
    this.root = page.getByTestId('side-by-side');
    this.modelSearch = this.root.getByLabel('Search models to compare');
    this.versionChoice = this.root.getByLabel('Version to compare');
    this.addVersion = this.root.getByRole('button', { name: 'Add', exact: true });
    this.columns = this.root.getByTestId('column');
  }

  async open() {
    await this.page.getByTestId('test-panel').getByRole('tab', { name: 'Side by side' }).click();
    await expect(this.root).toBeVisible();
  }

  /** Adds a column for the model with exactly this id, or for an id the catalog lacks. */
  async addModel(id: string) {
    await pickModelOption(this.modelSearch, id);
    await expect(this.column(id)).toBeVisible();
  }

  column(label: string): Locator {
    return this.root.getByRole('region', { name: `Column ${label}`, exact: true });
  }

  runButton(count: number): Locator {
    return this.root.getByRole('button', { name: `Run ${count} side by side` });
  }

  promote(label: string): Locator {
    return this.column(label).getByRole('button', { name: `Promote ${label}` });
  }
}

/** Draft with AI at the top of the editor: a description in, a prompt and variables out. */
export class DraftWithAi {
  readonly root: Locator;
  readonly brief: Locator;
  readonly ask: Locator;
  readonly progress: Locator;
  readonly error: Locator;

  constructor(page: Page) {
    this.root = page.getByTestId('draft-with-ai');
    this.brief = page.getByLabel('Describe what this integration should do');
    this.ask = this.root.getByRole('button', { name: /Draft with AI|Drafting/ });
    this.progress = page.getByTestId('draft-progress');
    this.error = page.getByTestId('draft-error');
  }
}

/** Types `id` into a model search box and clicks the option for exactly that id in its list. */
export async function pickModelOption(search: Locator, id: string) {
  await search.fill(id);
  const list = search.page().locator(`#${await search.getAttribute('aria-controls')}`);
  const exactly = new RegExp(`^${id.replace(/[./:-]/g, '\\$&')}( |$)`);
  await list.getByRole('option', { name: exactly }).click();
}
