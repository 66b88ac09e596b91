// Playwright setup: Debian's Chromium (never a downloaded browser) against the debug build of the
// server, started here on its own port with a throwaway SQLite database.
import { defineConfig } from '@playwright/test';
import { ADMIN } from './admin';
import { binary, databaseUrl } from './cli';
import { writeSeed } from './fixtures';

const port = Number(process.env.E2E_PORT ?? 3107);
const seed = writeSeed();

export default defineConfig({
  // `make test` runs the console project; `make screenshots` and `make transfer` the others.
  projects: [
    { name: 'console', testDir: './tests' },
    { name: 'screenshots', testDir: './screenshots' },
    { name: 'transfer', testDir: './transfer' },
  ],
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: {
    // Seeded through `integrations apply`, then served.
    command: `${binary} integrations apply ${seed} && ${binary} serve`,
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
    env: {
      AI_GATEWAY_LISTEN: `127.0.0.1:${port}`,
      AI_GATEWAY_DATABASE_URL: databaseUrl,
      AI_GATEWAY_SITE_ROOT: process.env.AI_GATEWAY_SITE_ROOT ?? '../target/site',
      AI_GATEWAY_LOG: 'warn',
      OPENROUTER_API_KEY: '',
      AI_GATEWAY_ADMIN_EMAIL: ADMIN.email,
      AI_GATEWAY_ADMIN_PASSWORD: ADMIN.password,
    },
  },
});
