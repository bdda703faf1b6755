import type { ImageRef, Sender } from './chat-fields.ts';
import { emptyVector, vectorGet, vectorPush, vectorSet, vectorTruncate, type PersistentVector } from './persistent-vector.ts';

/**
 * A chat's messages as a tree, as the decider needs it (no content: that lives in the events and the read
 * model). Siblings are alternates ("swipes"); every node remembers which child is selected. The active path
 * is the walk from the root level through each node's effective child:
 * - the selected child, unless it is deleted;
 * - otherwise the newest child that is not deleted;
 * - otherwise (every child deleted) the selected or newest one, walked through but not shown, so deleting
 *   a message in the middle of a conversation hides only that message.
 * Nodes are addressed by ordinal (creation order). Everything is immutable with structural sharing.
 */
export interface TreeNode {
  readonly id: string;
  /** Ordinal of the parent; -1 for the root level. */
  readonly parent: number;
  readonly depth: number;
  readonly children: readonly number[];
  /** Ordinal of the explicitly selected child; -1 for none. */
  readonly selected: number;
  readonly version: number;
  readonly deleted: boolean;
  readonly sender: Sender;
  readonly name: string | null;
  readonly image: ImageRef | null;
}

/**
 * id -> ordinal, append-only and shared by every snapshot of one stream: an id is visible to a snapshot when
 * its ordinal is below the snapshot's size. A snapshot that diverges (only a test folding two futures from
 * one state can do that) gets its own copy.
 */
interface IdIndex {
  ids: string[];
  byId: Map<string, number>;
}

export interface MessageTree {
  readonly index: IdIndex;
  readonly nodes: PersistentVector<TreeNode>;
  readonly roots: readonly number[];
  readonly rootSelected: number;
  /** The walked active path: the ordinal at each depth (deleted pass-through nodes included). */
  readonly path: PersistentVector<number>;
  /** Messages not deleted. */
  readonly live: number;
}

export interface PathDelta {
  from: number;
  ids: number[];
}

export const ROOT = -1;

export function emptyTree(): MessageTree {
  return { index: { ids: [], byId: new Map() }, nodes: emptyVector(), roots: [], rootSelected: ROOT, path: emptyVector(), live: 0 };
}

export function findNode(tree: MessageTree, id: string): number {
  const ordinal = tree.index.byId.get(id);
  return ordinal !== undefined && ordinal < tree.nodes.size && tree.index.ids[ordinal] === id ? ordinal : -1;
}

export const nodeAt = (tree: MessageTree, ordinal: number): TreeNode => vectorGet(tree.nodes, ordinal);

export const childrenOf = (tree: MessageTree, parent: number): readonly number[] =>
  parent === ROOT ? tree.roots : nodeAt(tree, parent).children;

const selectedOf = (tree: MessageTree, parent: number): number => (parent === ROOT ? tree.rootSelected : nodeAt(tree, parent).selected);

export function effectiveChild(tree: MessageTree, parent: number): number {
  const children = childrenOf(tree, parent);
  if (children.length === 0) return -1;
  const selected = selectedOf(tree, parent);
  if (selected >= 0 && !nodeAt(tree, selected).deleted) return selected;
  for (let i = children.length - 1; i >= 0; i--) if (!nodeAt(tree, children[i]!).deleted) return children[i]!;
  return selected >= 0 ? selected : children[children.length - 1]!;
}

/** The nodes the active path walks below `parent` (not including it). */
export function walkFrom(tree: MessageTree, parent: number): number[] {
  const out: number[] = [];
  for (let next = effectiveChild(tree, parent); next >= 0; next = effectiveChild(tree, next)) out.push(next);
  return out;
}

export function isOnPath(tree: MessageTree, ordinal: number): boolean {
  const depth = nodeAt(tree, ordinal).depth;
  return depth < tree.path.size && vectorGet(tree.path, depth) === ordinal;
}

/** The last shown message of the active path (where a new message goes by default); -1 when none. */
export function activeLeaf(tree: MessageTree): number {
  for (let d = tree.path.size - 1; d >= 0; d--) {
    const ordinal = vectorGet(tree.path, d);
    if (!nodeAt(tree, ordinal).deleted) return ordinal;
  }
  return -1;
}

export function alternatesOf(tree: MessageTree, ordinal: number): readonly number[] {
  return childrenOf(tree, nodeAt(tree, ordinal).parent);
}

export function addNode(
  tree: MessageTree,
  spec: { id: string; parent: number; sender: Sender; name: string | null; image: ImageRef | null },
): MessageTree {
  const ordinal = tree.nodes.size;
  let index = tree.index;
  if (index.ids.length > ordinal && index.ids[ordinal] !== spec.id) {
    const ids = index.ids.slice(0, ordinal);
    index = { ids, byId: new Map(ids.map((id, i) => [id, i])) };
  }
  if (index.ids.length === ordinal) {
    index.ids.push(spec.id);
    index.byId.set(spec.id, ordinal);
  }
  const depth = spec.parent === ROOT ? 0 : nodeAt(tree, spec.parent).depth + 1;
  let nodes = vectorPush(tree.nodes, { ...spec, depth, children: [], selected: -1, version: 1, deleted: false });
  let roots = tree.roots;
  if (spec.parent === ROOT) roots = [...roots, ordinal];
  else {
    const parent = vectorGet(nodes, spec.parent);
    nodes = vectorSet(nodes, spec.parent, { ...parent, children: [...parent.children, ordinal] });
  }
  return { ...tree, index, nodes, roots, live: tree.live + 1 };
}

export function updateNode(
  tree: MessageTree,
  ordinal: number,
  patch: Partial<Pick<TreeNode, 'version' | 'deleted' | 'selected'>>,
): MessageTree {
  const node = nodeAt(tree, ordinal);
  const live = patch.deleted === undefined || patch.deleted === node.deleted ? tree.live : tree.live + (patch.deleted ? -1 : 1);
  return { ...tree, nodes: vectorSet(tree.nodes, ordinal, { ...node, ...patch }), live };
}

/** Makes `ordinal` the selected child of its parent. */
export function selectNode(tree: MessageTree, ordinal: number): MessageTree {
  const parent = nodeAt(tree, ordinal).parent;
  if (parent === ROOT) return tree.rootSelected === ordinal ? tree : { ...tree, rootSelected: ordinal };
  if (nodeAt(tree, parent).selected === ordinal) return tree;
  return updateNode(tree, parent, { selected: ordinal });
}

/** Selects each node of a path change down to `target`, as activating `target` does. */
export function selectAlong(tree: MessageTree, ids: readonly number[], target: number): MessageTree {
  let next = tree;
  for (const ordinal of ids) {
    next = selectNode(next, ordinal);
    if (ordinal === target) break;
  }
  return next;
}

export function applyPathDelta(tree: MessageTree, delta: PathDelta | null): MessageTree {
  if (!delta) return tree;
  let path = vectorTruncate(tree.path, delta.from);
  for (const ordinal of delta.ids) path = vectorPush(path, ordinal);
  return { ...tree, path };
}

/**
 * What the active path becomes when `target` is made active (selected all the way up): null when it already
 * is on the path, 'unreachable' when a deleted ancestor with visible alternates keeps it off the path.
 */
export function activationDelta(tree: MessageTree, target: number): PathDelta | null | 'unreachable' {
  if (isOnPath(tree, target)) return null;
  const chain = [target];
  let top = target;
  while (nodeAt(tree, top).parent !== ROOT && !isOnPath(tree, nodeAt(tree, top).parent)) {
    top = nodeAt(tree, top).parent;
    chain.unshift(top);
  }
  const selected = selectAlong(tree, chain, target);
  const ids = walkFrom(selected, nodeAt(tree, top).parent);
  const from = nodeAt(tree, top).depth;
  return ids[nodeAt(tree, target).depth - from] === target ? { from, ids } : 'unreachable';
}

/** The path change after a node under `ordinal`'s parent changed (deleted, restored, added unselected). */
export function refreshDelta(tree: MessageTree, ordinal: number): PathDelta | null {
  const { parent, depth } = nodeAt(tree, ordinal);
  if (parent !== ROOT && !isOnPath(tree, parent)) return null;
  const current = depth < tree.path.size ? vectorGet(tree.path, depth) : -1;
  if (effectiveChild(tree, parent) === current) return null;
  return { from: depth, ids: walkFrom(tree, parent) };
}
