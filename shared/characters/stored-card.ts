import { z } from 'zod';
import { CanonicalCardSchema } from '../cards/index.ts';

/** An image kept in the blob store, referenced from events by hash. */
export const storedImageSchema = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  mime: z.string(),
  size: z.number().int().nonnegative(),
});
export type StoredImage = z.infer<typeof storedImageSchema>;

/** A card asset (CharX entry, legacy PNG asset chunk) kept in the blob store. */
export const storedAssetSchema = storedImageSchema.extend({
  path: z.string(),
  uri: z.string().nullable(),
  type: z.string().nullable(),
  name: z.string().nullable(),
  ext: z.string(),
});
export type StoredAsset = z.infer<typeof storedAssetSchema>;

/** Where a card came from, for history and for the user. */
export const cardSourceSchema = z.object({
  kind: z.enum(['api', 'import']),
  format: z.string().optional(),
  filename: z.string().optional(),
  dialect: z.string().optional(),
});

/** The whole of a character as events carry it: the canonical card (every field kept) plus its binaries. */
export const storedCardSchema = z.object({
  card: CanonicalCardSchema,
  avatar: storedImageSchema.nullable(),
  assets: z.array(storedAssetSchema),
});
export type StoredCard = z.infer<typeof storedCardSchema>;
