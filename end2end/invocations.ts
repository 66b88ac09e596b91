// The invocation rows the invocations tests import through `ai-gateway invocations import`, drawn
// from a fixed-seed generator so every run stores the same rows, and the expectations computed
// from those rows here, independently of the gateway's SQL.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { cli, databaseUrl } from './cli';

export type Row = {
  id: string;
  integration_slug: string;
  caller_type: string;
  caller_id: string | null;
  status: 'ok' | 'fallback' | 'error';
  model_requested: string;
  model_used: string | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  cached_tokens: number | null;
  citation_count: number | null;
  cost_nanos: number | null;
  latency_ms: number;
  error_class: string | null;
  error_message: string | null;
  generation_id: string | null;
  conversation_id: string | null;
  created_at_ms: number;
};

export type Filters = {
  search?: string;
  status?: string;
  caller?: string;
  integration?: string;
  /** YYYY-MM-DD, UTC, inclusive. */
  from?: string;
  until?: string;
};

export const INTEGRATIONS = ['inv-alpha', 'inv-beta', 'inv-gamma'];
const MODELS = ['openai/gpt-4o-mini', 'anthropic/claude-haiku-4.5', 'google/gemini-2.0-flash-001'];
const CALLERS = ['api', 'openai', 'internal', 'admin-test'];
/** The window the rows fall in: 2025-03-03 to 2025-03-09, UTC. Live calls are never this old. */
export const FIRST_DAY = '2025-03-03';
export const LAST_DAY = '2025-03-09';
const START = Date.UTC(2025, 2, 3);
const DAY = 86_400_000;

/** mulberry32: a tiny generator whose sequence depends only on the seed. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function id(index: number): string {
  return `01956000-0000-7000-8000-${index.toString(16).padStart(12, '0')}`;
}

function build(): Row[] {
  const random = generator(20261130);
  const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)];
  const between = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
  // The edges of 2025-03-05 and its neighbours, to prove the range takes whole days.
  const edges = [Date.UTC(2025, 2, 4, 23, 59, 59, 999), Date.UTC(2025, 2, 5), Date.UTC(2025, 2, 5, 23, 59, 59, 999), Date.UTC(2025, 2, 6)];
  const rows: Row[] = [];
  for (let i = 0; i < 180; i++) {
    const roll = random();
    const status = roll < 0.15 ? 'error' : roll < 0.25 ? 'fallback' : 'ok';
    const failed = status === 'error';
    const model = pick(MODELS);
    rows.push({
      id: id(i + 1),
      integration_slug: pick(INTEGRATIONS),
      caller_type: pick(CALLERS),
      caller_id: `token:${between(1, 9)}`,
      status,
      model_requested: MODELS[0],
      model_used: failed ? null : status === 'fallback' ? MODELS[1] : model,
      prompt_tokens: failed ? null : between(20, 4000),
      completion_tokens: failed ? null : between(5, 1500),
      cached_tokens: failed ? null : between(0, 200),
      citation_count: failed ? null : between(0, 3),
      cost_nanos: failed ? null : between(10_000, 5_000_000),
      latency_ms: between(80, 9000),
      error_class: failed ? pick(['upstream_429', 'timeout', 'invalid_args']) : null,
      error_message: failed ? `The provider refused call ${i + 1}: "slow down", try later` : null,
      generation_id: failed ? null : `gen-${1000 + i}`,
      conversation_id: random() < 0.2 ? `conv-${between(1, 5)}` : null,
      created_at_ms: i < edges.length ? edges[i] : START + Math.floor(random() * 7 * DAY),
    });
  }
  // One expensive call, so the Σ cost needs thousands separators.
  rows[10] = { ...rows[10], status: 'ok', integration_slug: 'inv-gamma', model_used: MODELS[0], cost_nanos: 1_234_567_891_234, prompt_tokens: 9, completion_tokens: 9, error_class: null, error_message: null, generation_id: 'gen-expensive' };
  return rows;
}

export const ROWS: Row[] = build();

/** Imports the rows (again: rows already stored are skipped). */
export function importRows(rows: Row[] = ROWS): string {
  const file = path.join(os.tmpdir(), `ai-gateway-e2e-invocations-${process.pid}-${Date.now()}.json`);
  fs.writeFileSync(file, JSON.stringify({ invocations: rows }));
  try {
    return cli('invocations', 'import', file);
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/** The rows the filters select, by the page's documented rules. */
export function matching(filters: Filters, rows: Row[] = ROWS): Row[] {
  const needle = filters.search?.toLowerCase();
  const from = filters.from ? Date.parse(`${filters.from}T00:00:00Z`) : -Infinity;
  const until = filters.until ? Date.parse(`${filters.until}T00:00:00Z`) + DAY : Infinity;
  return rows.filter(
    (r) =>
      (!needle || r.integration_slug.includes(needle) || (r.model_used ?? '').toLowerCase().includes(needle)) &&
      (!filters.status || r.status === filters.status) &&
      (!filters.caller || r.caller_type === filters.caller) &&
      (!filters.integration || r.integration_slug === filters.integration) &&
      r.created_at_ms >= from &&
      r.created_at_ms < until,
  );
}

/** The Σ row as the page prints it: grouped tokens, `$` and six fixed decimals. */
export function totals(rows: Row[]) {
  const sum = (pick: (r: Row) => number | null) => rows.reduce((total, r) => total + BigInt(pick(r) ?? 0), 0n);
  const nanos = sum((r) => r.cost_nanos);
  const micros = (nanos + 500n) / 1000n;
  const whole = (micros / 1_000_000n).toLocaleString('en-US');
  return {
    count: rows.length,
    prompt: sum((r) => r.prompt_tokens).toLocaleString('en-US'),
    completion: sum((r) => r.completion_tokens).toLocaleString('en-US'),
    cost: `$${whole}.${(micros % 1_000_000n).toString().padStart(6, '0')}`,
    nanos,
  };
}

/**
 * Count and sums of the stored rows of one integration with one status between two UTC days
 * (both included), read from the test database with the sqlite3 shell rather than through the
 * gateway.
 */
export function storedTotals(integration: string, status: string, from: string, until: string) {
  const start = Date.parse(`${from}T00:00:00Z`);
  const end = Date.parse(`${until}T00:00:00Z`) + 24 * 60 * 60 * 1000;
  const sql =
    'select count(*), coalesce(sum(prompt_tokens), 0), coalesce(sum(completion_tokens), 0), coalesce(sum(cost_nanos), 0) ' +
    `from ai_invocations where integration_slug = '${integration}' and status = '${status}' ` +
    `and created_at >= ${start} and created_at < ${end}`;
  const file = databaseUrl.replace(/^sqlite:(\/\/)?/, '').replace(/\?.*$/, '');
  const [count, prompt, completion, nanos] = execFileSync('sqlite3', ['-readonly', file, sql], { encoding: 'utf8' })
    .trim()
    .split('|')
    .map((n) => BigInt(n));
  return { count: Number(count), prompt, completion, nanos };
}
