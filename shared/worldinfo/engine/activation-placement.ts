/**
 * Where activated entries go in the prompt: an entry's position, depth and role (its fields, overridden by the
 * `@@position`, `@@depth`, `@@reverse_depth` and `@@role` decorators), and the injections grouped by position.
 */
import { DEFAULT_DEPTH, ROLE_NAMES, positionName } from '../entry.ts';
import type { WorldInfoPositionName, WorldInfoRoleName } from '../entry.ts';
import type { RunBooks } from './run-books.ts';
import type { ActiveRecord } from './scan-state.ts';
import type { ActivatedEntry, CompatibilityMode, WorldInfoInjections } from './types.ts';

export function toActivatedEntry(books: RunBooks, a: ActiveRecord, messageTotal: number): ActivatedEntry {
  const b = books.bookOf(a.gid);
  const p = books.prep(a.gid);
  const r = p.resolved;
  const d = p.decorators;
  let position: WorldInfoPositionName | 'unknown' = positionName(r.position) ?? 'unknown';
  let depth = r.depth;
  let depthFromEntry = true;
  if (d.position) position = d.position;
  else if (d.depth !== undefined) {
    position = 'at_depth';
    depth = d.depth;
    depthFromEntry = false;
  } else if (d.reverseDepth !== undefined) {
    position = 'at_depth';
    depth = Math.max(0, messageTotal - d.reverseDepth);
    depthFromEntry = false;
  }
  const role: WorldInfoRoleName = d.role ?? ROLE_NAMES[r.role] ?? 'system';
  const out: ActivatedEntry = {
    entryKey: books.entryKey(a.gid),
    bookId: b.input.id,
    bookName: b.input.name,
    uid: p.entry.uid,
    entryIndex: p.local,
    entry: p.entry,
    content: a.content,
    position,
    depth: position === 'at_depth' ? depth : DEFAULT_DEPTH,
    role,
    order: r.order,
    tokens: a.tokens,
    reason: a.reason,
    pass: a.pass,
  };
  if (position === 'outlet') out.outletName = r.outletName;
  // A card's embedded book reaches SillyTavern through `convertCharacterBook`, which fills `depth: 4`; world files
  // (global, chat, persona books) are used as stored.
  if (position === 'at_depth' && depthFromEntry && p.entry.depth === undefined && b.input.source !== 'character') out.depthMissing = true;
  return out;
}

/**
 * Groups activated entries by position. Each list is in ascending `order`; equal orders come out in reverse
 * activation order (SillyTavern sorts by order descending, stable, then prepends).
 * An at-depth entry without a `depth` field: `corrected` inserts it at depth 4 with the other depth-4 entries;
 * `sillytavern` does what 1.12.6's prompt builder does (`atDepthGroups`).
 */
export function buildInjections(activated: readonly ActivatedEntry[], mode: CompatibilityMode = 'corrected'): WorldInfoInjections {
  const withSeq = placementOrder(activated);
  const before: string[] = [];
  const after: string[] = [];
  const anTop: string[] = [];
  const anBottom: string[] = [];
  const examplesBefore: string[] = [];
  const examplesAfter: string[] = [];
  const outletLists = new Map<string, string[]>();
  for (const { a } of withSeq) {
    if (!a.content) continue;
    switch (a.position) {
      case 'before':
        before.unshift(a.content);
        break;
      case 'after':
        after.unshift(a.content);
        break;
      case 'an_top':
        anTop.unshift(a.content);
        break;
      case 'an_bottom':
        anBottom.unshift(a.content);
        break;
      case 'examples_before':
        examplesBefore.unshift(a.content);
        break;
      case 'examples_after':
        examplesAfter.unshift(a.content);
        break;
      case 'at_depth':
        break;
      case 'outlet': {
        const name = a.outletName ?? '';
        if (name === '') break;
        let list = outletLists.get(name);
        if (!list) outletLists.set(name, (list = []));
        list.unshift(a.content);
        break;
      }
      default:
        break;
    }
  }
  const outlets: Record<string, string> = {};
  for (const [name, list] of outletLists) outlets[name] = list.join('\n');
  return {
    before: before.join('\n'),
    after: after.join('\n'),
    anTop,
    anBottom,
    atDepth: atDepthGroups(withSeq, mode).groups.flatMap((g) =>
      g.depth === undefined ? [] : [{ depth: g.depth, role: g.role, content: g.entries.join('\n') }],
    ),
    examplesBefore,
    examplesAfter,
    outlets,
  };
}

/** SillyTavern's iteration order for building the prompt: order descending, ties in activation order. */
function placementOrder(activated: readonly ActivatedEntry[]): Array<{ a: ActivatedEntry; seq: number }> {
  return activated.map((a, seq) => ({ a, seq })).sort((x, y) => y.a.order - x.a.order || x.seq - y.seq);
}

interface DepthGroup {
  depth: number | undefined;
  role: WorldInfoRoleName;
  entries: string[];
}

/**
 * The at-depth groups, one per (depth, role), entries prepended in placement order. `sillytavern` (1.12.6 and
 * current): an entry looks for the group of `depth ?? 4`, but a new group is stored with the entry's own `depth`,
 * so a depth-less entry joins a depth-4 group made before it and is inserted; otherwise its group has depth
 * `undefined`, which no chat depth (and no later lookup) equals: it is activated but not inserted (`dropped`).
 */
function atDepthGroups(
  sorted: ReadonlyArray<{ a: ActivatedEntry }>,
  mode: CompatibilityMode,
): { groups: DepthGroup[]; dropped: Set<string> } {
  const groups: DepthGroup[] = [];
  const dropped = new Set<string>();
  for (const { a } of sorted) {
    if (a.position !== 'at_depth' || !a.content) continue;
    const stored = a.depthMissing && mode === 'sillytavern' ? undefined : a.depth;
    let group = groups.find((g) => g.depth === a.depth && g.role === a.role);
    if (!group) groups.push((group = { depth: stored, role: a.role, entries: [] }));
    group.entries.unshift(a.content);
    if (group.depth === undefined) dropped.add(a.entryKey);
  }
  return { groups, dropped };
}

/** The depth-less at-depth entries SillyTavern would activate but not insert, for this activation list. */
export function depthlessNotInserted(activated: readonly ActivatedEntry[]): Set<string> {
  return atDepthGroups(placementOrder(activated), 'sillytavern').dropped;
}
