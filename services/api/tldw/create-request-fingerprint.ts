/**
 * The fingerprint of a create-chat request under a client id: what the client asked for (body fields as
 * sent, normalised: character id aliases, state in lower case; the three query options), not what the chat has
 * become, so a late retry after a rename is still the same request. Key order and unknown fields do not count.
 */
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import type { createSessionBody, createSessionQuery } from './tldw-schemas.ts';

export function characterIdOf(body: z.infer<typeof createSessionBody>): string | null {
  return body.character_id ?? (body.assistant_kind === 'character' ? (body.assistant_id ?? null) : null);
}

export function createRequestFingerprint(body: z.infer<typeof createSessionBody>, query: z.infer<typeof createSessionQuery>): string {
  const characterId = characterIdOf(body);
  const canonical = {
    character_id: characterId,
    // An explicit null kind is a choice ("no assistant"), not an omission.
    assistant_kind: body.assistant_kind === undefined ? (characterId ? 'character' : undefined) : body.assistant_kind,
    title: body.title ?? null,
    state: body.state ?? null,
    source: body.source ?? null,
    seed_first_message: query.seed_first_message,
    greeting_strategy: query.greeting_strategy,
    alternate_index: query.alternate_index ?? null,
  };
  return `sha256:${createHash('sha256').update(JSON.stringify(canonical)).digest('hex')}`;
}
