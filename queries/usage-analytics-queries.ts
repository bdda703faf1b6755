import { sql, type Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import { NO_CHARACTER } from '../projections/usage-analytics-projection.ts';

export interface UsageMetrics {
  messages_sent: number;
  completions: number;
  tokens_in: number;
  tokens_out: number;
  errors: number;
  cancellations: number;
  /** Latency of the completions counted (request to complete reply); p50/p95 are exact (null without any). */
  latency_ms: { count: number; p50: number | null; p95: number | null };
}

export interface UsageReport {
  user_id: string;
  from: string;
  to: string;
  character_id: string | null;
  totals: UsageMetrics;
  by_day: Array<{ day: string } & UsageMetrics>;
  by_character: Array<{ character_id: string | null } & UsageMetrics>;
  by_day_and_character: Array<{ day: string; character_id: string | null } & UsageMetrics>;
}

interface CounterRow {
  day: string | null;
  character_id: string | null;
  g_day: number;
  g_character: number;
  messages_sent: string;
  completions: string;
  tokens_in: string;
  tokens_out: string;
  errors: string;
  cancellations: string;
}

interface LatencyRow {
  day: string | null;
  character_id: string | null;
  g_day: number;
  g_character: number;
  n: string;
  p50: number | null;
  p95: number | null;
}

const round1 = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);
const characterOut = (id: string | null) => (id === NO_CHARACTER ? null : id);

/**
 * One user's usage between two UTC days (inclusive). Counters are sums of the daily rows; percentiles are
 * computed from the individual latencies of the whole range (percentile_cont over the rows, per group), never by
 * combining daily percentiles, so any range and any grouping gives the exact value.
 */
export async function usageReport(
  db: Kysely<ReadModels>,
  schema: string,
  input: { userId: string; from: string; to: string; characterId?: string | null },
): Promise<UsageReport> {
  const characterFilter = input.characterId ? sql`AND character_id = ${input.characterId}::uuid` : sql``;
  // Grouping sets: (day, character), (day), (character), () in one pass each.
  const counters = await sql<CounterRow>`
    SELECT to_char(day, 'YYYY-MM-DD') AS day, character_id::text AS character_id,
           grouping(day)::int AS g_day, grouping(character_id)::int AS g_character,
           sum(messages_sent)::text AS messages_sent, sum(completions)::text AS completions,
           sum(tokens_in)::text AS tokens_in, sum(tokens_out)::text AS tokens_out,
           sum(errors)::text AS errors, sum(cancellations)::text AS cancellations
      FROM ${sql.id(schema, 'usage_daily')}
     WHERE user_id = ${input.userId} AND day BETWEEN ${input.from}::date AND ${input.to}::date ${characterFilter}
     GROUP BY GROUPING SETS ((day, character_id), (day), (character_id), ())`.execute(db);
  const latencies = await sql<LatencyRow>`
    SELECT to_char(day, 'YYYY-MM-DD') AS day, character_id::text AS character_id,
           grouping(day)::int AS g_day, grouping(character_id)::int AS g_character,
           count(*)::text AS n,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50,
           percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95
      FROM ${sql.id(schema, 'usage_latencies')}
     WHERE user_id = ${input.userId} AND day BETWEEN ${input.from}::date AND ${input.to}::date ${characterFilter}
     GROUP BY GROUPING SETS ((day, character_id), (day), (character_id), ())`.execute(db);

  const key = (r: { day: string | null; character_id: string | null; g_day: number; g_character: number }) =>
    `${r.g_day ? '*' : r.day}|${r.g_character ? '*' : r.character_id}`;
  const latencyByKey = new Map(latencies.rows.map((r) => [key(r), r]));
  const metrics = (r: CounterRow | undefined, k: string): UsageMetrics => {
    const l = latencyByKey.get(k);
    return {
      messages_sent: Number(r?.messages_sent ?? 0),
      completions: Number(r?.completions ?? 0),
      tokens_in: Number(r?.tokens_in ?? 0),
      tokens_out: Number(r?.tokens_out ?? 0),
      errors: Number(r?.errors ?? 0),
      cancellations: Number(r?.cancellations ?? 0),
      latency_ms: { count: Number(l?.n ?? 0), p50: round1(l?.p50 ?? null), p95: round1(l?.p95 ?? null) },
    };
  };

  const report: UsageReport = {
    user_id: input.userId,
    from: input.from,
    to: input.to,
    character_id: input.characterId ?? null,
    totals: metrics(undefined, '*|*'),
    by_day: [],
    by_character: [],
    by_day_and_character: [],
  };
  for (const r of counters.rows) {
    const k = key(r);
    if (r.g_day && r.g_character) {
      // With no rows at all, the grand total is still one row of nulls: metrics() reads those as zeros.
      report.totals = metrics(r, k);
    } else if (r.g_character) report.by_day.push({ day: r.day!, ...metrics(r, k) });
    else if (r.g_day) report.by_character.push({ character_id: characterOut(r.character_id), ...metrics(r, k) });
    else report.by_day_and_character.push({ day: r.day!, character_id: characterOut(r.character_id), ...metrics(r, k) });
  }
  report.by_day.sort((a, b) => a.day.localeCompare(b.day));
  report.by_character.sort(
    (a, b) =>
      b.completions - a.completions || b.messages_sent - a.messages_sent || String(a.character_id).localeCompare(String(b.character_id)),
  );
  report.by_day_and_character.sort((a, b) => a.day.localeCompare(b.day) || String(a.character_id).localeCompare(String(b.character_id)));
  return report;
}
