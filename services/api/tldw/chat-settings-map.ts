/**
 * The original's chat settings resource (a free camelCase map) over our chat settings: `authorNote` is our
 * `author_note`, `userName` our `user_name`, and every other key is kept in the chat's free `extensions`. A PUT
 * merges key by key (a `null` removes one), through the same chat update as the native API, with the original's
 * last-writer-wins rules on `updatedAt` (settings-merge.ts).
 */
import type { ChatSettingsChanges } from '../../../shared/chats/chat-fields.ts';

const MAPPED: Record<string, 'author_note' | 'user_name'> = { authorNote: 'author_note', userName: 'user_name' };

export function tldwSettingsOf(settings: Record<string, unknown>): Record<string, unknown> {
  const extensions = (settings.extensions ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = { ...extensions };
  for (const [theirs, ours] of Object.entries(MAPPED)) if (settings[ours] !== undefined) out[theirs] = settings[ours];
  return out;
}

/** The settings change a PUT makes (validated again by the chat's own schema: bad values are a 422). */
export function settingsChangesFor(current: Record<string, unknown>, incoming: Record<string, unknown>): ChatSettingsChanges {
  const changes: Record<string, unknown> = {};
  const extensions: Record<string, unknown> = { ...((current.extensions ?? {}) as Record<string, unknown>) };
  let extensionsChanged = false;
  for (const [key, value] of Object.entries(incoming)) {
    const ours = MAPPED[key];
    if (ours) changes[ours] = value;
    else {
      extensionsChanged = true;
      if (value === null) delete extensions[key];
      else extensions[key] = value;
    }
  }
  if (extensionsChanged) changes.extensions = Object.keys(extensions).length > 0 ? extensions : null;
  return changes as ChatSettingsChanges;
}
