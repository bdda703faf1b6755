/**
 * Why a write route counts against no per-user rate limit (`rateLimitExempt` of a route definition). The limits
 * table is the original system's: it limits creating, sending, searching, importing, uploading and generating, and
 * world-book operations; changing what a user already has is bounded by the body limit and the per-resource caps.
 */
export const RATE_LIMIT_EXEMPTIONS = {
  ownResourceChange:
    "changes a resource the caller already owns (edit, delete, restore, attach, detach): nothing new is created or uploaded, the change is bounded by the body limit and the resource's caps, and the limits table has no action for it",
  administrator: "administrators only: an operator's tool, not a user's",
  cancellation: 'cancels a completion that was counted when it started: it stops work and creates nothing',
} as const;
