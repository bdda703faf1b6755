/**
 * The embedding index in PostgreSQL, where the server has the pgvector extension (an external server; the embedded
 * one does not): the read model's `message_embeddings` rows get a `vector` column, filled from their float32 bytes
 * (the events stay the source: a rebuild or a re-embedding empties or outdates the column and the next query of the
 * chat fills it again), with an HNSW index (cosine) per dimension, and neighbours are ranked by PostgreSQL with
 * `<=>`. The same contract as the in-process index: only the active path, not deleted, vectors of the current text.
 * Forgetting a user deletes her `message_embeddings` rows, and the column with them.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { ReadModels } from '../../infra/db/read-model-types.ts';
import { decodeVector, normalized } from '../../shared/memory/vector-codec.ts';
import type { EmbeddingIndex, EmbeddingNeighbour } from './embedding-index.ts';
import type { EmbeddingSetup } from './embedding-setup.ts';

/** Rows filled per statement when a chat's column is brought up to date. */
const FILL_BATCH = 1000;

/** Whether the server can install pgvector (`pg_available_extensions`). */
export async function pgvectorAvailable(db: Kysely<ReadModels>): Promise<boolean> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_available_extensions where name = 'vector'`.execute(db);
  return (rows[0]?.n ?? 0) > 0;
}

/** pgvector 0.8 and later have `hnsw.iterative_scan`. */
const iterativeScan = (version: string) => {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 0 || minor >= 8;
};

const vectorLiteral = (v: Float32Array) => `[${Array.from(v).join(',')}]`;

export async function createPgvectorIndex(deps: {
  db: Kysely<ReadModels>;
  readSchema: string;
  embeddings: EmbeddingSetup;
}): Promise<EmbeddingIndex> {
  const { db, readSchema } = deps;
  const { model, client } = deps.embeddings;
  const table = sql.table(`${readSchema}.message_embeddings`);
  const indexed = new Set<number>();
  let version = '0';

  /** The extension and the columns (again after a rebuild swapped in a table without them). */
  async function ensureColumns(): Promise<void> {
    await sql`create extension if not exists vector`.execute(db);
    await sql`alter table ${table} add column if not exists embedding vector, add column if not exists embedding_revision bigint`.execute(
      db,
    );
    const { rows } = await sql<{ v: string }>`select extversion as v from pg_extension where extname = 'vector'`.execute(db);
    version = rows[0]?.v ?? '0';
    indexed.clear();
  }

  /** An HNSW index over the vectors of one dimension (a column of mixed dimensions cannot have one index). */
  async function ensureIndex(dimensions: number): Promise<void> {
    if (indexed.has(dimensions)) return;
    const name = sql.id(`message_embeddings_hnsw_${dimensions}`);
    await sql`create index if not exists ${name} on ${table} using hnsw ((embedding::vector(${sql.lit(dimensions)})) vector_cosine_ops) where dimensions = ${sql.lit(dimensions)}`.execute(
      db,
    );
    indexed.add(dimensions);
  }

  /** Fills the column for the chat's rows written or re-embedded since it was last filled. */
  async function fill(chatId: string): Promise<void> {
    for (;;) {
      const { rows } = await sql<{ message_id: string; vector: Buffer; revision: string; dimensions: number }>`
        select message_id, vector, revision, dimensions from ${table}
        where chat_id = ${chatId} and model = ${model} and embedding_revision is distinct from revision
        limit ${FILL_BATCH}`.execute(db);
      if (rows.length === 0) return;
      for (const d of new Set(rows.map((r) => r.dimensions))) await ensureIndex(d);
      await sql`
        update ${table} as e set embedding = v.embedding::vector, embedding_revision = v.revision
        from unnest(${rows.map((r) => r.message_id)}::uuid[], ${rows.map((r) => vectorLiteral(normalized(decodeVector(r.vector))))}::text[],
                    ${rows.map((r) => r.revision)}::bigint[]) as v(message_id, embedding, revision)
        where e.message_id = v.message_id and e.model = ${model}`.execute(db);
      if (rows.length < FILL_BATCH) return;
    }
  }

  const contentSha = sql`encode(sha256(convert_to(m.content, 'UTF8')), 'hex')`;
  const messages = sql.table(`${readSchema}.chat_messages`);

  async function nearest(chatId: string, query: Float32Array, k: number): Promise<EmbeddingNeighbour[]> {
    const d = sql.lit(query.length);
    const q: RawBuilder<unknown> = sql`${vectorLiteral(query)}::vector(${d})`;
    return db.transaction().execute(async (trx) => {
      // pgvector 0.8 keeps scanning the HNSW graph until the filtered rows fill the limit (the chat, its path).
      if (iterativeScan(version)) await sql`select set_config('hnsw.iterative_scan', 'relaxed_order', true)`.execute(trx);
      const { rows } = await sql<EmbeddingNeighbour>`
        select e.message_id, (1 - (e.embedding::vector(${d}) <=> ${q}))::float8 as score
        from ${table} as e join ${messages} as m on m.id = e.message_id
        where e.chat_id = ${chatId} and e.model = ${model} and e.dimensions = ${d} and e.embedding is not null
          and m.on_path and m.deleted_at is null and e.content_sha256 = ${contentSha}
        order by e.embedding::vector(${d}) <=> ${q}, e.message_id
        limit ${k}`.execute(trx);
      return rows;
    });
  }

  await ensureColumns();
  return {
    backend: 'pgvector',
    model,
    async embeddingNeighbours(chatId, queryText, k) {
      if (k <= 0 || queryText.trim() === '') return [];
      const [raw] = await client.embed(model, [queryText]);
      const query = normalized(raw!);
      try {
        await fill(chatId);
        return await nearest(chatId, query, k);
      } catch (err) {
        // A projection rebuild swaps in a table made from the migrations, without the column: add it once more.
        if ((err as { code?: string }).code !== '42703') throw err;
        await ensureColumns();
        await fill(chatId);
        return nearest(chatId, query, k);
      }
    },
  };
}
