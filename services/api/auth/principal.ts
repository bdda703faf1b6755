/** The authenticated caller of a request. */
export interface Principal {
  userId: string;
  isAdmin: boolean;
  method: 'api-key' | 'jwt' | 'none';
}

/** In single-user mode every event and row belongs to this user. */
export const LOCAL_USER_ID = 'local';
