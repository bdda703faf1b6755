/**
 * What the original accepts in a chat settings PUT, and the form it stores it in: its resume-contract keys are
 * refused, enumerated settings must hold one of their values, `assistantOverlay` is trimmed and checked field by
 * field, and a deep-research attachment (active, pinned, or one of at most three in the history) may carry only
 * its own keys and a real `updatedAt`. Refusals are 422, a text over 20,000 characters 413, and each names the
 * setting (`assistantOverlay.kind`, `deepResearchAttachmentHistory[0]`).
 */
import { AppError, unprocessable } from '../../../shared/errors.ts';

type Settings = Record<string, unknown>;

const RESERVED = ['roleplayBehaviorV1', 'roleplayResumeV1'];
const ENUMS: Record<string, readonly string[]> = {
  greetingScope: ['chat', 'character'],
  presetScope: ['chat', 'character'],
  memoryScope: ['shared', 'character', 'both'],
};
const MAX_TEXT = 20_000;
const OVERLAY_KEYS = new Set(['kind', 'id', 'name', 'avatar_url', 'system_prompt_snapshot', 'updatedAt']);
const OVERLAY_KINDS = ['character', 'persona'];
const ATTACHMENT_KEYS = new Set([
  'run_id',
  'query',
  'question',
  'outline',
  'key_claims',
  'unresolved_questions',
  'verification_summary',
  'source_trust_summary',
  'research_url',
  'attached_at',
  'updatedAt',
]);
const MAX_ATTACHMENT_HISTORY = 3;

const isMap = (value: unknown): value is Settings => typeof value === 'object' && value !== null && !Array.isArray(value);
const tooLarge = (where: string) => new AppError(413, 'setting_too_large', `${where} is longer than ${MAX_TEXT} characters`);

/** A string field of the overlay, trimmed; 413 when too long. */
function overlayText(overlay: Settings, key: string, required: boolean): string | undefined {
  const where = `assistantOverlay.${key}`;
  const value = overlay[key];
  if (value === undefined || value === null) {
    if (required) throw unprocessable('invalid_setting', `${where} is required`);
    return undefined;
  }
  if (typeof value !== 'string') throw unprocessable('invalid_setting', `${where} must be a string`);
  if (value.length > MAX_TEXT) throw tooLarge(where);
  const trimmed = value.trim();
  if (required && trimmed === '') throw unprocessable('invalid_setting', `${where} must not be empty`);
  return trimmed;
}

function acceptedOverlay(overlay: unknown): Settings | null {
  if (overlay === null) return null;
  if (!isMap(overlay)) throw unprocessable('invalid_setting', 'assistantOverlay must be an object');
  const unknown = Object.keys(overlay).find((k) => !OVERLAY_KEYS.has(k));
  if (unknown) throw unprocessable('invalid_setting', `assistantOverlay.${unknown} is not a field of the overlay`);
  const kind = overlayText(overlay, 'kind', true)!.toLowerCase();
  if (!OVERLAY_KINDS.includes(kind))
    throw unprocessable('invalid_setting', `Invalid assistantOverlay.kind. Allowed values: ${OVERLAY_KINDS.join(', ')}`);
  const out: Settings = { kind };
  for (const key of ['id', 'name', 'avatar_url', 'system_prompt_snapshot']) {
    const text = overlayText(overlay, key, key === 'name');
    if (text !== undefined) out[key] = text;
  }
  out.updatedAt = overlayText(overlay, 'updatedAt', true);
  return out;
}

function checkAttachment(attachment: unknown, where: string): void {
  if (attachment === null || attachment === undefined) return;
  if (!isMap(attachment)) throw unprocessable('invalid_setting', `${where} must be an object`);
  const unknown = Object.keys(attachment).find((k) => !ATTACHMENT_KEYS.has(k));
  if (unknown) throw unprocessable('invalid_setting', `${where} has an unknown key: ${unknown}`);
  const at = attachment.updatedAt;
  if (at !== undefined && (typeof at !== 'string' || Number.isNaN(Date.parse(at))))
    throw unprocessable('invalid_setting', `${where}.updatedAt must be an ISO 8601 timestamp`);
}

/** The request's settings as the original stores them; throws what it refuses. */
export function acceptedSettings(incoming: Settings): Settings {
  const reserved = Object.keys(incoming).find((k) => RESERVED.includes(k));
  if (reserved) throw unprocessable('reserved_setting', `${reserved} is reserved resume-contract state`);
  for (const [key, allowed] of Object.entries(ENUMS)) {
    const value = incoming[key];
    if (value !== undefined && value !== null && !allowed.includes(value as string))
      throw unprocessable('invalid_setting', `Invalid ${key}. Allowed values: ${allowed.join(', ')}`);
  }
  checkAttachment(incoming.deepResearchAttachment, 'deepResearchAttachment');
  checkAttachment(incoming.deepResearchPinnedAttachment, 'deepResearchPinnedAttachment');
  const history = incoming.deepResearchAttachmentHistory;
  if (history !== undefined && history !== null) {
    if (!Array.isArray(history) || history.length > MAX_ATTACHMENT_HISTORY)
      throw unprocessable(
        'invalid_setting',
        `deepResearchAttachmentHistory must be a list of at most ${MAX_ATTACHMENT_HISTORY} attachments`,
      );
    history.forEach((entry, i) => checkAttachment(entry, `deepResearchAttachmentHistory[${i}]`));
  }
  return 'assistantOverlay' in incoming ? { ...incoming, assistantOverlay: acceptedOverlay(incoming.assistantOverlay) } : incoming;
}
