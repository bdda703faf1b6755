import { z } from 'zod';
import { allEventDefinitions } from './catalogue.ts';

export interface EventJsonSchema {
  type: string;
  schema_version: number;
  resource_type: string;
  /** JSON Schema (draft 2020-12) of the payload at `schema_version`, generated from the event's zod schema. */
  schema: Record<string, unknown>;
}

let cached: EventJsonSchema[] | undefined;

/** The payload schema of every event type of the catalogue, as JSON Schema, sorted by type. */
export function eventJsonSchemas(): EventJsonSchema[] {
  cached ??= allEventDefinitions()
    .map((d) => ({
      type: d.type,
      schema_version: d.schemaVersion,
      resource_type: d.resourceType,
      schema: z.toJSONSchema(d.schema, { target: 'draft-2020-12', io: 'output', unrepresentable: 'any' }) as Record<string, unknown>,
    }))
    .sort((a, b) => a.type.localeCompare(b.type));
  return cached;
}
