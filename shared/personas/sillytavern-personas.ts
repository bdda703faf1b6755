/**
 * SillyTavern's persona data (`power_user.personas`, `power_user.persona_descriptions`, `default_persona`), as its
 * "Backup" button writes it (`personas_YYYYMMDD.json`) and as settings.json holds it under `power_user`. Positions
 * and roles are numeric there: position 0 in prompt, 1 the deprecated "after character" (read as 0, as
 * SillyTavern's `setPersonaDescription` does), 2 top of the Author's Note, 3 bottom, 4 at depth, 9 none; role 0
 * system, 1 user, 2 assistant. Newer releases add `lorebook` (a world name) and `connections` (locks).
 */
import { z } from 'zod';
import { unprocessable } from '../errors.ts';
import type { PersonaDescriptionPosition, PersonaRole } from './persona-fields.ts';

const POSITIONS: Record<number, PersonaDescriptionPosition> = {
  0: 'in_prompt',
  1: 'in_prompt',
  2: 'an_top',
  3: 'an_bottom',
  4: 'at_depth',
  9: 'none',
};
const POSITION_CODES: Record<PersonaDescriptionPosition, number> = { in_prompt: 0, an_top: 2, an_bottom: 3, at_depth: 4, none: 9 };
const ROLES: PersonaRole[] = ['system', 'user', 'assistant'];

const descriptorSchema = z
  .object({
    description: z.string().optional(),
    position: z.coerce.number().optional(),
    depth: z.coerce.number().optional(),
    role: z.coerce.number().optional(),
    lorebook: z.string().optional(),
    connections: z.array(z.object({ type: z.string(), id: z.string() }).loose()).optional(),
    title: z.string().optional(),
  })
  .loose();

const backupSchema = z
  .object({
    personas: z.record(z.string(), z.string()),
    persona_descriptions: z.record(z.string(), z.unknown()),
    default_persona: z.string().nullable().optional(),
  })
  .loose();

/** One persona of a backup, in our terms; `lorebook` and the connected character avatars are still names to resolve. */
export interface BackupPersona {
  /** SillyTavern's id: the avatar file name. */
  sillytavernId: string;
  name: string;
  description: string;
  position: PersonaDescriptionPosition;
  depth: number;
  role: PersonaRole;
  lorebook: string | null;
  /** `connections` of type character: character avatar file names. */
  characterAvatars: string[];
  isDefault: boolean;
}

export interface ParsedBackup {
  personas: BackupPersona[];
  warnings: string[];
}

const clampDepth = (depth: number | undefined) =>
  depth === undefined || !Number.isFinite(depth) ? 2 : Math.min(10_000, Math.max(0, Math.trunc(depth)));

/** Reads a backup (or a settings.json with `power_user`); 422 when it is neither. */
export function parseSillyTavernPersonas(json: unknown): ParsedBackup {
  const root = (json as { power_user?: unknown } | null)?.power_user ?? json;
  const parsed = backupSchema.safeParse(root);
  if (!parsed.success)
    throw unprocessable(
      'not_a_persona_backup',
      'expected a SillyTavern persona backup: an object with `personas` and `persona_descriptions`',
    );
  const warnings: string[] = [];
  const personas: BackupPersona[] = [];
  for (const [id, rawName] of Object.entries(parsed.data.personas)) {
    const raw = parsed.data.persona_descriptions[id];
    const descriptor = descriptorSchema.safeParse(raw ?? {});
    if (!descriptor.success) warnings.push(`persona ${id}: its description is not an object; imported without one`);
    const d = descriptor.success ? descriptor.data : {};
    const position = POSITIONS[d.position ?? 0];
    if (!position) warnings.push(`persona ${id}: unknown position ${String(d.position)}, placed in the prompt`);
    const role = ROLES[d.role ?? 0];
    if (!role) warnings.push(`persona ${id}: unknown role ${String(d.role)}, system used`);
    const name = rawName.trim() || '[Unnamed Persona]';
    personas.push({
      sillytavernId: id,
      name: name.slice(0, 200),
      description: d.description ?? '',
      position: position ?? 'in_prompt',
      depth: clampDepth(d.depth),
      role: role ?? 'system',
      lorebook: d.lorebook ? d.lorebook : null,
      characterAvatars: (d.connections ?? []).filter((c) => c.type === 'character').map((c) => c.id),
      isDefault: parsed.data.default_persona === id,
    });
  }
  for (const id of Object.keys(parsed.data.persona_descriptions))
    if (!(id in parsed.data.personas)) warnings.push(`description ${id} has no persona of that id; skipped`);
  if (parsed.data.default_persona && !(parsed.data.default_persona in parsed.data.personas))
    warnings.push(`default_persona ${parsed.data.default_persona} is not one of the personas; no default set`);
  return { personas, warnings };
}

export interface ExportPersona {
  sillytavernId: string;
  name: string;
  description: string;
  position: PersonaDescriptionPosition;
  depth: number;
  role: PersonaRole;
  lorebook: string | null;
  characterAvatars: string[];
  isDefault: boolean;
}

/** The backup SillyTavern's "Restore" reads, with the newer `lorebook` and `connections` fields. */
export function exportSillyTavernPersonas(personas: readonly ExportPersona[]) {
  const names: Record<string, string> = {};
  const descriptions: Record<string, Record<string, unknown>> = {};
  for (const p of personas) {
    names[p.sillytavernId] = p.name;
    descriptions[p.sillytavernId] = {
      description: p.description,
      position: POSITION_CODES[p.position],
      depth: p.depth,
      role: ROLES.indexOf(p.role),
      lorebook: p.lorebook ?? '',
      connections: p.characterAvatars.map((id) => ({ type: 'character', id })),
    };
  }
  return {
    personas: names,
    persona_descriptions: descriptions,
    default_persona: personas.find((p) => p.isDefault)?.sillytavernId ?? null,
  };
}
