/** Who is acting and why: copied into every event's metadata. */
export interface CommandContext {
  userId: string;
  isAdmin: boolean;
  requestId: string;
  correlationId: string;
  /** The id of the command, request or event that caused this one. */
  causationId: string;
}
