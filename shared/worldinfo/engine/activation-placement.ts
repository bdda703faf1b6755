/**
 * Where activated entries go in the prompt: an entry's position, depth and role (its fields, overridden by the
 * placement decorators: `@@position` (RisuAI's `pt_<name>` slots are outlets), `@@depth`, `@@reverse_depth`,
 * `@@end`, `@@inject_*`, and `@@role`), and the injections grouped by position.
 */
import type { DecoratorPlacement } from '../decorators.ts';
import { DEFAULT_DEPTH, ROLE_NAMES, positionName } from '../entry.ts';
import type { WorldInfoRoleName } from '../entry.ts';
import { decoratorsFor } from './risuai-entry.ts';
import type { RunBooks } from './run-books.ts';
import type { ActiveRecord } from './scan-state.ts';
import type { ActivatedEntry, CompatibilityMode, PromptPartInjection, WorldInfoInjections } from './types.ts';

type Placed = Pick<ActivatedEntry, 'position' | 'depth' | 'outletName'>;

/**
 * A placement decorator as a position. Depths count messages from the newest (`messageTotal` in the chat, the new
 * turn included). The spec: `@@depth N` is N from the newest, `@@reverse_depth N` is `total − N`. RisuAI inserts
 * `@@depth N` after the N oldest messages and `@@reverse_depth N` before the N newest of the chat without its
 * last message (so N + 1 from the newest); both stay before the last message.
 */
function placementOf(placement: DecoratorPlacement, messageTotal: number, risuai: boolean): Placed {
  switch (placement.kind) {
    case 'position':
      return { position: placement.position, depth: DEFAULT_DEPTH };
    case 'slot':
      return { position: 'outlet', depth: DEFAULT_DEPTH, outletName: placement.name };
    case 'end':
      return { position: 'end', depth: 0 };
    case 'depth':
      if (!risuai) return { position: 'at_depth', depth: placement.depth };
      return { position: 'at_depth', depth: Math.max(1, Math.min(messageTotal, messageTotal - placement.depth)) };
    case 'reverse_depth':
      if (!risuai) return { position: 'at_depth', depth: Math.max(0, messageTotal - placement.depth) };
      return { position: 'at_depth', depth: Math.max(1, Math.min(messageTotal, placement.depth + 1)) };
  }
}

/** How a placement reads in a diagnostic (`at_depth 3`, `end`, `outlet name`). */
export function describePlacement(p: Placed): string {
  if (p.position === 'at_depth') return `at_depth ${p.depth}`;
  if (p.position === 'outlet') return `outlet ${p.outletName ?? ''}`;
  return p.position;
}

/** Where the spec profiles would place an entry the `risuai` profile places (for its diagnostic). */
export function specPlacement(books: RunBooks, gid: number, messageTotal: number): Placed | undefined {
  const placement = books.prep(gid).decorators.placement;
  return placement ? placementOf(placement, messageTotal, false) : undefined;
}

export function toActivatedEntry(books: RunBooks, a: ActiveRecord, messageTotal: number, risuai = false): ActivatedEntry {
  const b = books.bookOf(a.gid);
  const p = books.prep(a.gid);
  const r = p.resolved;
  const d = decoratorsFor(p, risuai);
  let placed: Placed = { position: positionName(r.position) ?? 'unknown', depth: r.depth };
  const depthFromEntry = !d.placement;
  if (d.placement) placed = placementOf(d.placement, messageTotal, risuai);
  const { position, depth } = placed;
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
  if (position === 'outlet') out.outletName = placed.outletName ?? r.outletName;
  if (d.inject) {
    out.position = 'injected';
    out.injection = { ...d.inject };
  }
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
  const end: Array<{ role: WorldInfoRoleName; content: string }> = [];
  const promptParts: PromptPartInjection[] = [];
  for (const { a } of withSeq) {
    if (!a.content) continue;
    switch (a.position) {
      case 'end':
        end.unshift({ role: a.role, content: a.content });
        break;
      case 'injected':
        if (a.injection?.target === 'prompt') {
          const { location, operation, param } = a.injection;
          promptParts.unshift({ location, operation, param, content: a.content });
        }
        break;
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
    // RisuAI puts assistant ones last, as a prefill.
    end: [...end.filter((e) => e.role !== 'assistant'), ...end.filter((e) => e.role === 'assistant')],
    promptParts,
  };
}

/**
 * `@@inject_lore <comment>`: the entry's content goes into the activated entry whose comment (or `lorebook <n>`,
 * n its place in the run) is `<comment>`: appended or prepended with a space, or replacing the `@@inject_replace`
 * text. Applied in descending order, like RisuAI; an entry whose target is not active goes nowhere.
 */
export function applyLoreInjections(activated: ActivatedEntry[], gidOf: (a: ActivatedEntry) => number): void {
  const injecting = activated.filter((a) => a.injection?.target === 'lore').sort((x, y) => y.order - x.order);
  if (injecting.length === 0) return;
  for (const lore of injecting) {
    const inj = lore.injection as NonNullable<ActivatedEntry['injection']>;
    const target = activated.find((t) => t.position !== 'injected' && (t.entry.comment || `lorebook ${gidOf(t)}`) === inj.location);
    if (!target) continue;
    inj.applied = true;
    if (inj.operation === 'append') target.content = `${target.content} ${lore.content}`;
    else if (inj.operation === 'prepend') target.content = `${lore.content} ${target.content}`;
    else target.content = target.content.replace(inj.param, () => lore.content);
  }
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
