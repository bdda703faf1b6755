/**
 * Included dictionaries (`included_dictionary_ids`): expanded depth-first, each included dictionary before the one
 * that includes it (post-order), every dictionary once. A cycle is an error naming it, as the original does:
 * `Dictionary include cycle detected: a -> b -> a`.
 */
import { AppError } from '../errors.ts';
export interface IncludeNode {
  id: string;
  name: string;
  includedIds: readonly string[];
}

/** Dictionaries that include each other in a ring: 400 `include_cycle`, with the ids (`cycle`). */
export class IncludeCycleError extends AppError {
  declare readonly code: 'include_cycle';
  /** Ids along the cycle, the first repeated at the end. */
  readonly cycle: string[];
  constructor(cycle: string[], names: string[]) {
    super(400, 'include_cycle', `Dictionary include cycle detected: ${names.join(' -> ')}`, { cycle });
    this.name = 'IncludeCycleError';
    this.cycle = cycle;
  }
}

export class MissingIncludeError extends Error {
  readonly code = 'include_not_found' as const;
  readonly dictionaryId: string;
  readonly missingId: string;
  constructor(dictionaryId: string, missingId: string) {
    super(`dictionary ${dictionaryId} includes dictionary ${missingId}, which does not exist`);
    this.name = 'MissingIncludeError';
    this.dictionaryId = dictionaryId;
    this.missingId = missingId;
  }
}

/**
 * The processing order for `roots`. `lookup` gives a dictionary (undefined: unknown). Unknown roots and unknown
 * includes are skipped unless `strict`, which throws `MissingIncludeError` for an unknown include.
 */
export function expandIncludes(
  roots: readonly string[],
  lookup: (id: string) => IncludeNode | undefined,
  options: { strict?: boolean } = {},
): string[] {
  const order: string[] = [];
  const done = new Set<string>();
  const stack: string[] = [];
  const visit = (id: string) => {
    if (done.has(id)) return;
    const at = stack.indexOf(id);
    if (at >= 0) {
      const cycle = [...stack.slice(at), id];
      throw new IncludeCycleError(
        cycle,
        cycle.map((c) => lookup(c)?.name ?? c),
      );
    }
    const node = lookup(id);
    if (!node) return;
    stack.push(id);
    for (const child of node.includedIds) {
      if (!lookup(child)) {
        if (options.strict) throw new MissingIncludeError(id, child);
        continue;
      }
      visit(child);
    }
    stack.pop();
    done.add(id);
    order.push(id);
  };
  for (const root of roots) visit(root);
  return order;
}

/** The first cycle reachable from `start`, or null. */
export function findIncludeCycle(start: string, lookup: (id: string) => IncludeNode | undefined): IncludeCycleError | null {
  try {
    expandIncludes([start], lookup);
    return null;
  } catch (err) {
    if (err instanceof IncludeCycleError) return err;
    throw err;
  }
}
