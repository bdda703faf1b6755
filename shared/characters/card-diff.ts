import type { CanonicalCard } from '../cards/index.ts';
import type { StoredCard } from './stored-card.ts';

export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Field-level differences between two versions of a card: `data.*` keys, top-level extras, image and assets. */
export function diffStoredCards(before: StoredCard | null, after: StoredCard | null): FieldChange[] {
  const changes: FieldChange[] = [];
  const a = (before?.card ?? null) as CanonicalCard | null;
  const b = (after?.card ?? null) as CanonicalCard | null;
  const aData = (a?.data ?? {}) as Record<string, unknown>;
  const bData = (b?.data ?? {}) as Record<string, unknown>;
  for (const key of new Set([...Object.keys(aData), ...Object.keys(bData)])) {
    if (!same(aData[key], bData[key])) changes.push({ field: key, from: aData[key] ?? null, to: bData[key] ?? null });
  }
  const aExtra = a?.topLevelExtras ?? {};
  const bExtra = b?.topLevelExtras ?? {};
  for (const key of new Set([...Object.keys(aExtra), ...Object.keys(bExtra)])) {
    if (!same(aExtra[key], bExtra[key])) changes.push({ field: `(top level) ${key}`, from: aExtra[key] ?? null, to: bExtra[key] ?? null });
  }
  if (!same(before?.avatar ?? null, after?.avatar ?? null))
    changes.push({ field: 'image', from: before?.avatar?.sha256 ?? null, to: after?.avatar?.sha256 ?? null });
  if (!same(before?.assets ?? [], after?.assets ?? []))
    changes.push({ field: 'assets', from: (before?.assets ?? []).map((x) => x.path), to: (after?.assets ?? []).map((x) => x.path) });
  return changes;
}
