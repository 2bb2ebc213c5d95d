import type { UserAccount } from '../../../api';

export type UserStatus = 'active' | 'invited' | 'disabled';

export function userStatus(user: UserAccount): UserStatus {
  if (user.disabledAt !== null) return 'disabled';
  return user.passwordSet ? 'active' : 'invited';
}
