import type { Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import type { CompatibilityMode } from '../shared/worldinfo/index.ts';
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
          ...(row.compatibility ? { compatibility: row.compatibility as CompatibilityMode } : {}),
          ...(row.memory ? { memory: row.memory as MemorySettings } : {}),
        },
        version: row.revision,
      };
    },
  };
}
