import type { Insertable } from 'kysely';
import type { UserDefaultsTable } from '../infra/db/read-model-types.ts';
import { typesOf, type EventFolds } from './projection.ts';

/** A user's defaults: each change writes the user's whole row. */
export const userDefaultsFolds: EventFolds<'UserDefaultsChanged', Insertable<UserDefaultsTable>> = {
  UserDefaultsChanged(event) {
    return {
      user_id: event.data.userId,
      compatibility: event.data.defaults.compatibility ?? null,
      scan_depth: event.data.defaults.scan_depth ?? null,
      token_budget: event.data.defaults.token_budget ?? null,
      recursive_scanning: event.data.defaults.recursive_scanning ?? null,
      memory_summaries: event.data.defaults.memory_summaries ?? null,
      memory: event.data.defaults.memory ? JSON.stringify(event.data.defaults.memory) : null,
      revision: event.revision,
      updated_at: event.createdAt,
    };
  },
};

export const USER_DEFAULTS_EVENTS = typesOf(userDefaultsFolds);
