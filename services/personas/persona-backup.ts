import type { Kysely } from 'kysely';
import type { BlobReservation } from '../../infra/blobs/blob-quota.ts';
import type { ReadModels } from '../../infra/db/read-model-types.ts';
import { createPersona, type PersonaCommandDeps, type PersonaWrite } from '../../commands/personas/persona-workflows.ts';
import { createPersonaQueries, toPersonaFields, type PersonaRow } from '../../queries/personas-queries.ts';
import type { Actor } from '../../shared/access/actor.ts';
import { limitExceeded } from '../../shared/errors.ts';
import type { PersonaFields } from '../../shared/personas/persona-fields.ts';
import { exportSillyTavernPersonas, parseSillyTavernPersonas, type BackupPersona } from '../../shared/personas/sillytavern-personas.ts';
import { avatarFromBase64, avatarFromFile, type AvatarPorts, type PlannedAvatar } from './persona-avatar.ts';

/**
 * SillyTavern's persona backup in and out. Import brings every persona of the backup at once and, like
 * SillyTavern's restore, never overwrites: a persona whose SillyTavern id (or our `<id>.png`) the user already has
 * is skipped. Lorebook names and connected character avatars (`<name>.png`) are matched to the user's world books
 * and characters by name; what does not match is reported, not guessed. Everything is checked (avatars decoded,
 * the cap) before the first persona is written.
 */
export interface BackupAvatar {
  /** The persona's SillyTavern id (the avatar file name). */
  id: string;
  bytes?: Uint8Array;
  base64?: string;
}

export interface ImportReport {
  imported: Array<{ id: string; name: string; sillytavern_id: string }>;
  skipped: Array<{ sillytavern_id: string; reason: string }>;
  warnings: string[];
  default_persona_id: string | null;
}

const stem = (file: string) => file.replace(/\.[^.]*$/, '');
const exportId = (row: PersonaRow) => (typeof row.source.sillytavernId === 'string' ? row.source.sillytavernId : `${row.id}.png`);

export function createPersonaBackup(db: Kysely<ReadModels>, schema: string, deps: PersonaCommandDeps & AvatarPorts) {
  const queries = createPersonaQueries(db, schema);

  function fieldsOf(
    p: BackupPersona,
    names: { characters: Map<string, string>; books: Map<string, string> },
    warnings: string[],
  ): Omit<PersonaFields, 'avatar'> {
    const bookId = p.lorebook ? (names.books.get(p.lorebook) ?? null) : null;
    if (p.lorebook && !bookId) warnings.push(`persona ${p.sillytavernId}: no world book named "${p.lorebook}"; imported without lore`);
    const locked: string[] = [];
    for (const avatar of p.characterAvatars) {
      const id = names.characters.get(stem(avatar)) ?? names.characters.get(avatar);
      if (id) locked.push(id);
      else warnings.push(`persona ${p.sillytavernId}: no character for ${avatar}; that lock is left out`);
    }
    return {
      name: p.name,
      description: p.description,
      position: p.position,
      depth: p.depth,
      role: p.role,
      world_book_id: bookId,
      is_default: p.isDefault,
      locked_character_ids: [...new Set(locked)].slice(0, 100),
    };
  }

  return {
    /** `beforeWrite`: runs once everything is checked, before the first write (the route spends its rate limit there). */
    async import(
      actor: Actor,
      json: unknown,
      avatars: readonly BackupAvatar[],
      beforeWrite: () => Promise<void> = async () => undefined,
    ): Promise<{ report: ImportReport; last: PersonaWrite | null }> {
      const parsed = parseSillyTavernPersonas(json);
      const warnings = [...parsed.warnings];
      const [existing, named] = await Promise.all([queries.all(actor.userId), queries.namesOf(actor.userId)]);
      const known = new Set(existing.map(exportId));
      const names = {
        characters: new Map(named.characters.map((c) => [c.name, c.id])),
        books: new Map(named.books.map((b) => [b.name, b.id])),
      };
      const skipped: ImportReport['skipped'] = [];
      const fresh = parsed.personas.filter((p) => {
        if (!known.has(p.sillytavernId)) return true;
        skipped.push({ sillytavern_id: p.sillytavernId, reason: 'already imported' });
        return false;
      });
      if (existing.length + fresh.length > deps.config.MAX_PERSONAS_PER_USER)
        throw limitExceeded(`Persona limit exceeded. Maximum ${deps.config.MAX_PERSONAS_PER_USER} personas allowed.`, {
          limit: deps.config.MAX_PERSONAS_PER_USER,
        });
      const byId = new Map(avatars.map((a) => [a.id, a]));
      for (const a of avatars)
        if (!parsed.personas.some((p) => p.sillytavernId === a.id)) warnings.push(`avatar ${a.id} belongs to no persona of the backup`);
      const planned = new Map<string, PlannedAvatar>();
      for (const p of fresh) {
        const a = byId.get(p.sillytavernId);
        if (!a) continue;
        planned.set(
          p.sillytavernId,
          a.bytes ? avatarFromFile(deps, actor.userId, a.bytes, a.id) : avatarFromBase64(deps, actor.userId, a.base64 ?? ''),
        );
      }
      const inputs = fresh.map((p) => ({ p, fields: fieldsOf(p, names, warnings) }));
      await beforeWrite();

      const imported: ImportReport['imported'] = [];
      let last: PersonaWrite | null = null;
      let defaultId: string | null = null;
      // The default last, so it is the one left standing.
      for (const { p, fields } of [...inputs].sort((a, b) => Number(a.fields.is_default) - Number(b.fields.is_default))) {
        const avatar = planned.get(p.sillytavernId);
        const reservation: BlobReservation | null = avatar ? await avatar.store() : null;
        try {
          last = await createPersona(
            deps,
            actor,
            { ...fields, avatar: avatar?.avatar ?? null },
            { kind: 'import', sillytavernId: p.sillytavernId },
          );
        } catch (err) {
          // The personas before this one stay imported (each is whole); this one's image charge is given back.
          await reservation?.release();
          throw err;
        }
        imported.push({ id: last.personaId, name: fields.name, sillytavern_id: p.sillytavernId });
        if (fields.is_default) defaultId = last.personaId;
      }
      return { report: { imported, skipped, warnings, default_persona_id: defaultId }, last };
    },

    /** The user's live personas as SillyTavern's backup. */
    async export(ownerId: string) {
      const [rows, named] = await Promise.all([queries.all(ownerId), queries.namesOf(ownerId)]);
      const characterNames = new Map(named.characters.map((c) => [c.id, c.name]));
      const bookNames = new Map(named.books.map((b) => [b.id, b.name]));
      return exportSillyTavernPersonas(
        rows.map((row) => {
          const f = toPersonaFields(row);
          return {
            sillytavernId: exportId(row),
            name: f.name,
            description: f.description,
            position: f.position,
            depth: f.depth,
            role: f.role,
            lorebook: f.world_book_id ? (bookNames.get(f.world_book_id) ?? null) : null,
            characterAvatars: f.locked_character_ids.flatMap((id) => (characterNames.has(id) ? [`${characterNames.get(id)}.png`] : [])),
            isDefault: f.is_default,
          };
        }),
      );
    },
  };
}
