import { sql } from 'kysely';
import { defineProjection, foldEvent } from './projection.ts';
import { USER_DEFAULTS_EVENTS, userDefaultsFolds } from './user-defaults-fold.ts';

/** A user's defaults (rules in user-defaults-fold.ts); a redelivered older change does not overwrite a newer one. */
export const userDefaultsProjection = defineProjection({
  name: 'user_defaults',
  handles: USER_DEFAULTS_EVENTS,
  tables: ['user_defaults'],
  async apply(db, event) {
    await db
      .insertInto('user_defaults')
      .values(foldEvent(userDefaultsFolds, event, undefined))
      .onConflict((oc) =>
        oc
          .column('user_id')
          .doUpdateSet({
            compatibility: sql.ref('excluded.compatibility'),
            scan_depth: sql.ref('excluded.scan_depth'),
            token_budget: sql.ref('excluded.token_budget'),
            recursive_scanning: sql.ref('excluded.recursive_scanning'),
            memory_summaries: sql.ref('excluded.memory_summaries'),
            memory: sql.ref('excluded.memory'),
            revision: sql.ref('excluded.revision'),
            updated_at: sql.ref('excluded.updated_at'),
          } as never)
          .where(sql.ref('user_defaults.revision'), '<', sql.ref('excluded.revision')),
      )
      .execute();
  },
});
