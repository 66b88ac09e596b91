// The test server's binary and database, shared by the Playwright config (which starts the server)
// and the tests that change its configuration through the CLI, as operators do.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const binary = process.env.AI_GATEWAY_BIN ?? '../target/debug/ai-gateway';

// Chosen once by the runner; its workers inherit the variable, so every process names one file.
process.env.E2E_DATABASE_URL ??= `sqlite:${path.join(
  os.tmpdir(),
  `ai-gateway-e2e-${process.pid}-${Date.now()}.db`,
)}`;
export const databaseUrl: string = process.env.E2E_DATABASE_URL;

/** Runs `ai-gateway <args>` on the test database and returns what it printed. */
export function cli(...args: string[]): string {
  return execFileSync(binary, args, {
    env: { ...process.env, AI_GATEWAY_DATABASE_URL: databaseUrl, AI_GATEWAY_LOG: 'warn' },
    encoding: 'utf8',
  });
}

/** Applies an integrations document, as `ai-gateway integrations apply` does for teams. */
export function applyIntegrations(integrations: object[]): string {
  const file = path.join(os.tmpdir(), `ai-gateway-e2e-apply-${process.pid}-${Date.now()}.json`);
  fs.writeFileSync(file, JSON.stringify({ integrations }, null, 2));
  try {
    return cli('integrations', 'apply', file);
  } finally {
    fs.rmSync(file, { force: true });
  }
}
