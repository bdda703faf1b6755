import type { z } from 'zod';

/**
 * An event type: a zod schema for its payload and its current schema version. Upcasters turn an older
 * payload into the next version's shape; events are never rewritten in the log.
 */
export interface EventDefinition<T extends z.ZodType = z.ZodType> {
  type: string;
  schemaVersion: number;
  schema: T;
  resourceType: string;
  /** Upcasters keyed by the version they upgrade from. */
  upcasters?: Record<number, (data: Record<string, unknown>) => Record<string, unknown>>;
}

export function defineEvent<T extends z.ZodType>(definition: EventDefinition<T>): EventDefinition<T> {
  return definition;
}

export function isEventDefinition(value: unknown): value is EventDefinition {
  const v = value as EventDefinition;
  return typeof v === 'object' && v !== null && typeof v.type === 'string' && typeof v.schemaVersion === 'number' && typeof v.schema === 'object';
}
