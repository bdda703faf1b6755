import type { ApiDependencies } from '../api-dependencies.ts';
import type { RouteResult } from './route.ts';

/**
 * Answers a command once the projections have applied its events (bounded by READ_YOUR_WRITES_TIMEOUT_MS),
 * so a GET right after sees the change. On timeout: 202 with a Location to poll.
 */
export async function respondAfterProjection(
  deps: ApiDependencies,
  position: string | null,
  location: string,
  onApplied: () => Promise<RouteResult>,
  accepted: Record<string, unknown>,
): Promise<RouteResult> {
  if (position !== null) {
    const applied = await deps.waiter.waitFor(position, deps.config.READ_YOUR_WRITES_TIMEOUT_MS);
    if (!applied) return { status: 202, body: { ...accepted, status: 'accepted', location }, headers: { Location: location } };
  }
  return onApplied();
}

/** `respondAfterProjection` for a created resource: its view with `Location` (also on the 202). */
export function respondCreatedAfterProjection(
  deps: ApiDependencies,
  position: string | null,
  location: string,
  view: () => Promise<RouteResult>,
  accepted: Record<string, unknown>,
): Promise<RouteResult> {
  return respondAfterProjection(
    deps,
    position,
    location,
    async () => {
      const r = await view();
      return { ...r, headers: { ...r.headers, Location: location } };
    },
    accepted,
  );
}

/**
 * The answer of a write whose own read model was written by its append (an inline projection): given at once,
 * while the caller's next read waits for the other projections to reach it (`pendingOwnWrites`).
 */
export function respondProjectedInline(deps: ApiDependencies, userId: string, position: string | null, answer: RouteResult): RouteResult {
  if (position !== null) deps.pendingOwnWrites.note(userId, position);
  return answer;
}
