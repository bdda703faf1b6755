import type { z } from 'zod';

/**
 * An event type: a zod schema for its payload and its current schema version. Upcasters turn an older
 * payload into the next version's shape; events are never rewritten in the log.
 */
export interface EventDefinition<T extends z.ZodType = z.ZodType, Type extends string = string> {
  type: Type;
  schemaVersion: number;
  schema: T;
  resourceType: string;
  /** Upcasters keyed by the version they upgrade from. */
  upcasters?: Record<number, (data: Record<string, unknown>) => Record<string, unknown>>;
}

/** `Type` is kept as its literal, so the catalogue's type map (event-types.ts) knows each event's payload. */
export function defineEvent<T extends z.ZodType, const Type extends string>(
  definition: EventDefinition<T, Type>,
): EventDefinition<T, Type> {
  return definition;
}

export function isEventDefinition(value: unknown): value is EventDefinition {
  const v = value as EventDefinition;
  return (
    typeof v === 'object' && v !== null && typeof v.type === 'string' && typeof v.schemaVersion === 'number' && typeof v.schema === 'object'
  );
}
