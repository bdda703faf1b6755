import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseCard, type CanonicalCard } from '../../../cards/index.ts';
import { importSillyTavern, type WorldInfoBookInput, type WorldInfoEntry } from '../../../worldinfo/index.ts';

const fixture = (name: string) => path.resolve(process.cwd(), 'test/fixtures', name);

let seraphina: CanonicalCard | undefined;
let eldoria: WorldInfoEntry[] | undefined;

/** The Seraphina card (a fresh copy each call, so cases can change it). */
export function seraphinaCard(): CanonicalCard {
  if (!seraphina) {
    const parsed = parseCard(new Uint8Array(readFileSync(fixture('cards/Seraphina.png'))), { filename: 'Seraphina.png' });
    if (!parsed.ok) throw new Error(`Seraphina.png: ${parsed.error.detail}`);
    seraphina = parsed.card;
  }
  return structuredClone(seraphina);
}

/** The Eldoria lorebook's entries (SillyTavern world info file), a fresh copy each call. */
export function eldoriaEntries(): WorldInfoEntry[] {
  if (!eldoria) {
    const json: unknown = JSON.parse(readFileSync(fixture('lorebooks/Eldoria.json'), 'utf8'));
    eldoria = importSillyTavern(json, { name: 'Eldoria' }).entries;
  }
  return structuredClone(eldoria);
}

/** Eldoria as the character's book (SillyTavern links the card's embedded book as world "Eldoria"). */
export function eldoriaBook(edit?: (entries: WorldInfoEntry[]) => void): WorldInfoBookInput {
  const entries = eldoriaEntries();
  edit?.(entries);
  return { id: 'eldoria', name: 'Eldoria', source: 'character', entries };
}
