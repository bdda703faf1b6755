import { sql, type Kysely } from 'kysely';
import { Migrator, type Migration } from 'kysely/migration';
import * as checkpoints from './migrations/2026_11_24_001_projection_checkpoints.ts';
import * as characters from './migrations/2026_11_24_002_characters.ts';
import * as characterUsage from './migrations/2026_11_24_003_character_usage.ts';
import * as chats from './migrations/2026_11_24_010_chats.ts';
import * as worldBooks from './migrations/2026_11_24_020_world_books.ts';
import * as auditEvents from './migrations/2026_11_24_030_audit_events.ts';
import * as usageAnalytics from './migrations/2026_11_24_040_usage_analytics.ts';
import * as projectionRebuilds from './migrations/2026_11_24_041_projection_rebuilds.ts';
import * as chatDictionaries from './migrations/2026_11_24_060_chat_dictionaries.ts';
import * as chatPromptState from './migrations/2026_11_24_070_chat_prompt_state.ts';
import * as personas from './migrations/2026_12_07_200_personas.ts';
import * as userDefaults from './migrations/2026_12_07_080_user_defaults.ts';
import * as groups from './migrations/2026_12_07_080_groups.ts';
import * as groupChats from './migrations/2026_12_07_081_group_chats.ts';
import * as groupAvatar from './migrations/2026_12_07_082_group_avatar.ts';
import * as userDefaultsScanSettings from './migrations/2026_12_07_300_user_defaults_scan_settings.ts';
import * as chatSummaries from './migrations/2026_12_07_250_chat_summaries.ts';
import * as messageEmbeddings from './migrations/2026_12_07_251_message_embeddings.ts';
import * as memoryIndex from './migrations/2026_12_07_300_memory_index.ts';
import * as messageExportParts from './migrations/2026_12_08_100_message_export_parts.ts';
import * as chatMessageClientIds from './migrations/2026_12_08_110_chat_message_client_ids.ts';
import * as memoryPostingsCovering from './migrations/2026_12_08_300_memory_postings_covering.ts';
import * as chatMessagesActivePath from './migrations/2026_12_08_400_chat_messages_active_path.ts';

/**
 * Read-model migrations, listed statically (no dynamic import of .ts files) and applied into a schema chosen
 * at run time, so a rebuild can build a complete second copy of the read models beside the live one.
 */
export const readModelMigrations: Record<string, Migration> = {
  '2026_11_24_001_projection_checkpoints': checkpoints,
  '2026_11_24_002_characters': characters,
  '2026_11_24_003_character_usage': characterUsage,
  '2026_11_24_010_chats': chats,
  '2026_11_24_020_world_books': worldBooks,
  '2026_11_24_030_audit_events': auditEvents,
  '2026_11_24_040_usage_analytics': usageAnalytics,
  '2026_11_24_041_projection_rebuilds': projectionRebuilds,
  '2026_11_24_060_chat_dictionaries': chatDictionaries,
  '2026_11_24_070_chat_prompt_state': chatPromptState,
  '2026_12_07_200_personas': personas,
  '2026_12_07_080_user_defaults': userDefaults,
  '2026_12_07_080_groups': groups,
  '2026_12_07_081_group_chats': groupChats,
  '2026_12_07_082_group_avatar': groupAvatar,
  '2026_12_07_300_user_defaults_scan_settings': userDefaultsScanSettings,
  '2026_12_07_250_chat_summaries': chatSummaries,
  '2026_12_07_251_message_embeddings': messageEmbeddings,
  '2026_12_07_300_memory_index': memoryIndex,
  '2026_12_08_100_message_export_parts': messageExportParts,
  '2026_12_08_110_chat_message_client_ids': chatMessageClientIds,
  '2026_12_08_300_memory_postings_covering': memoryPostingsCovering,
  '2026_12_08_400_chat_messages_active_path': chatMessagesActivePath,
};

export async function migrateReadModels(db: Kysely<any>, schema: string): Promise<void> {
  await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(schema)}`.execute(db);
  const scoped = db.withSchema(schema);
  const migrator = new Migrator({
    db: scoped,
    migrationTableSchema: schema,
    // Features land in parallel with numbered ranges; a database that already has a later one still takes an earlier one.
    allowUnorderedMigrations: true,
    provider: { getMigrations: async () => readModelMigrations },
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(
      `read-model migration ${failed?.migrationName ?? ''} failed in schema ${schema}: ${(error as Error).message ?? String(error)}`,
      { cause: error },
    );
  }
}
