/**
 * Who acts, and in which request: the API's authenticated caller, the worker running a job for its owner, the CLI.
 * Commands copy it into every event's metadata; the access rules (access-rules.ts) read `userId` and `isAdmin`.
 */
export interface Actor {
  userId: string;
  isAdmin: boolean;
  requestId: string;
  correlationId: string;
  /** The id of the command, request or event that caused this one. */
  causationId: string;
}

/** In single-user mode every event and row belongs to this user (an administrator). */
export const LOCAL_USER_ID = 'local';

/**
 * What a user id may be: API-key users' UUIDs, JWT `sub` values, `local`. No spaces, control characters or
 * other text PostgreSQL cannot store, and nothing the admin routes (`/api/v1/admin/users/{id}/…`) cannot name,
 * so every user the service knows can also be forgotten.
 */
export const USER_ID_PATTERN = /^[A-Za-z0-9._@:|+-]{1,200}$/;
export const USER_ID_RULE = 'must be a user id (letters, digits and ._@:|+-, at most 200)';
