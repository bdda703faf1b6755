import type { Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import { isCompatibilityMode } from '../shared/worldinfo/index.ts';
import type { UserDefaults } from '../shared/users/user-defaults.ts';
import type { MemorySettings } from '../shared/memory/memory-settings.ts';

export interface UserDefaultsView {
  defaults: UserDefaults;
  /** Revision of the user's defaults stream (0: never set). */
  version: number;
}

/** A user's defaults from the read model (`{}` for a user who never set any). */
export function createUserDefaultsQueries(db: Kysely<ReadModels>, schema: string) {
  const scoped = db.withSchema(schema);
  return {
    async get(userId: string): Promise<UserDefaultsView> {
      const row = await scoped.selectFrom('user_defaults').selectAll().where('user_id', '=', userId).executeTakeFirst();
      if (!row) return { defaults: {}, version: 0 };
      return {
        defaults: {
          ...(isCompatibilityMode(row.compatibility) ? { compatibility: row.compatibility } : {}),
          ...(row.scan_depth !== null ? { scan_depth: row.scan_depth } : {}),
          ...(row.token_budget !== null ? { token_budget: row.token_budget } : {}),
          ...(row.recursive_scanning !== null ? { recursive_scanning: row.recursive_scanning } : {}),
          ...(row.memory_summaries !== null ? { memory_summaries: row.memory_summaries } : {}),
          ...(row.memory ? { memory: row.memory as MemorySettings } : {}),
        },
        version: row.revision,
      };
    },
  };
}
