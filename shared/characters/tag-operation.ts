/**
 * tldw_server's tag operations over a character's tags: `rename` and `merge` put `target_tag` where `source_tag`
 * was (once: a character that already had the target keeps one copy), `delete` drops the source. Tags compare
 * without case and surrounding spaces, as our tag filters do.
 */
export type TagOperationName = 'rename' | 'merge' | 'delete';

export interface TagOperation {
  operation: TagOperationName;
  sourceTag: string;
  targetTag?: string;
}

const sameTag = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

export function hasTag(tags: readonly string[], tag: string): boolean {
  return tags.some((t) => sameTag(t, tag));
}

/** The tags after the operation, or null when the character does not carry the source tag. */
export function retagged(tags: readonly string[], op: TagOperation): string[] | null {
  if (!hasTag(tags, op.sourceTag)) return null;
  const out: string[] = [];
  for (const tag of tags) {
    const replacement = sameTag(tag, op.sourceTag) ? (op.operation === 'delete' ? undefined : op.targetTag) : tag;
    if (replacement !== undefined && !hasTag(out, replacement)) out.push(replacement);
  }
  return out;
}
