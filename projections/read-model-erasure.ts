import type { Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import type { ReadModelErasure } from '../shared/users/data-erasure-ports.ts';
import { userBlobReferences } from './blob-references.ts';
import { purgeUserFromReadModels } from './forget-user.ts';
import type { Projection } from './projection.ts';

/** The read models' part of forgetting a user, over the given projections in `schema`. */
export function readModelErasure(db: Kysely<ReadModels>, schema: string, projections: readonly Projection[]): ReadModelErasure {
  return {
    blobsOf: (userId) => userBlobReferences(db, schema, userId),
    purgeUser: (userId) => purgeUserFromReadModels(db, schema, projections, userId),
  };
}
