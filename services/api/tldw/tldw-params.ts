/** Query parameters read the way FastAPI reads them (its booleans, repeated list parameters, ISO datetimes). */
import { z } from 'zod';

const TRUE = new Set(['1', 'on', 't', 'true', 'y', 'yes']);
const FALSE = new Set(['0', 'off', 'f', 'false', 'n', 'no']);

/** Pydantic's boolean: true/false, 1/0, yes/no, on/off, t/f, y/n in any case; anything else is a 422 `bool_parsing`. */
export const fastApiBool = z.preprocess((v) => {
  if (typeof v !== 'string') return v;
  const s = v.toLowerCase();
  return TRUE.has(s) ? true : FALSE.has(s) ? false : v;
}, z.boolean());

/** A parameter a client may repeat (`?tags=a&tags=b`): always a list. */
export const repeatable = (item: z.ZodString) => z.preprocess((v) => (v === undefined || Array.isArray(v) ? v : [v]), z.array(item));

/** An ISO 8601 date or date-time. */
export const isoDate = z.preprocess((v) => {
  if (typeof v !== 'string') return v;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? v : d;
}, z.date());
