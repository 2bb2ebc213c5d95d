import { createContext } from 'react';
import type { User } from '../api';

export type AuthStatus = 'loading' | 'authenticated' | 'unauthenticated' | 'unavailable';

export interface AuthContextValue {
  status: AuthStatus;
  user: User | null;
  /** Why the session could not be checked (status "unavailable"). */
  error: unknown;
  /** True after the user chose "Sign out" (no return location is remembered then). */
  signedOut: boolean;
  signIn: (email: string, password: string) => Promise<void>;
  signOut: () => Promise<void>;
  /** Checks the session again (after "unavailable"). */
  reload: () => void;
  /** Reads the signed-in user again, without leaving the page (after admins change their own account). */
  refreshUser: () => Promise<void>;
}

export const AuthContext = createContext<AuthContextValue | null>(null);
