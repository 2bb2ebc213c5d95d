import { useAuth } from './useAuth';

/** What the signed-in user may change. The server decides; the app hides what it would refuse. */
export interface Permissions {
  /** Any change at all: false for a read-only user. */
  canWrite: boolean;
  /** Admins' changes: users, and adding or deleting customers. */
  canAdminister: boolean;
}

export function usePermissions(): Permissions {
  const { user } = useAuth();
  const canWrite = user !== null && !user.readOnly;
  return { canWrite, canAdminister: canWrite && user.role === 'admin' };
}
