import { z } from 'zod';
import { parseAsOf, type AsOf } from '../../../queries/as-of.ts';
import { badRequest } from '../../../shared/errors.ts';

/** The `as_of` query parameter of the GETs that can travel back in time (parsed by `parseAsOf`). */
export const asOfParam = z
  .string()
  .min(1)
  .max(64)
  .describe('a version (the stream revision, e.g. 3) or an ISO 8601 date-time with offset (e.g. 2026-11-24T05:00:00Z; encode + as %2B)');

/** The point in time a GET asks for, if any; `as_of_version` is the older spelling of a version. */
export function asOfFromQuery(query: { as_of?: string | undefined; as_of_version?: number | undefined }): AsOf | undefined {
  if (query.as_of !== undefined && query.as_of_version !== undefined)
    throw badRequest('conflicting_as_of', 'give as_of or as_of_version, not both');
  if (query.as_of_version !== undefined) return { version: query.as_of_version };
  return query.as_of !== undefined ? parseAsOf(query.as_of) : undefined;
}
