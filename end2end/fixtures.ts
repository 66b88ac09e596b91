// The integrations the browser tests start with, written as an `integrations apply` document so the
// server is seeded through the same path teams use: twelve of them, so the list has two pages.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const VISIBILITIES = ['public', 'internal', 'both'] as const;

/** The seeded integration `seed-<index>`, as the document lists it. */
export function integration(index: number) {
  const slug = `seed-${String(index).padStart(2, '0')}`;
  return {
    slug,
    name: `Seeded integration ${index}`,
    description: null,
    active: index % 4 !== 3,
    visibility: VISIBILITIES[index % 3],
    conversational: false,
    conversation_ttl_minutes: null,
    rate_limit_per_minute: null,
    daily_cap: null,
    supports_vision: false,
    supports_tools: false,
    allow_system_messages: true,
    version: {
      prompt_template: 'Answer briefly: {{ question }}',
      cacheable: false,
      models: index % 2 === 0 ? ['openai/gpt-4o-mini', 'anthropic/claude-haiku-4.5'] : ['openai/gpt-4o-mini'],
      default_params: {},
      variables: [{ name: 'question', type: 'string', required: true, description: null }],
      server_tools: {},
      notes: null,
    },
  };
}

/** Writes the document to a temporary file and returns its path. */
export function writeSeed(): string {
  const file = path.join(os.tmpdir(), `ai-gateway-e2e-seed-${process.pid}-${Date.now()}.json`);
  const integrations = Array.from({ length: 12 }, (_, i) => integration(i + 1));
  fs.writeFileSync(file, JSON.stringify({ integrations }, null, 2));
  return file;
}
