import { notifications } from '@mantine/notifications';
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import {
  authApi,
  isApiError,
  setCsrfRefresher,
  setCsrfToken,
  setUnauthorizedHandler,
  type Session,
  type User,
} from '../api';
import { notifyError } from '../lib/notify';
import { AuthContext, type AuthContextValue, type AuthStatus } from './context';

interface State {
  status: AuthStatus;
  user: User | null;
  error: unknown;
  signedOut: boolean;
}

const LOADING: State = { status: 'loading', user: null, error: null, signedOut: false };

/** Holds the signed-in user. Checks GET /api/v1/auth/me on load; any later 401 signs out locally. */
export function AuthProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [state, setState] = useState<State>(LOADING);
  const [attempt, setAttempt] = useState(0);
  const statusRef = useRef<AuthStatus>('loading');
  statusRef.current = state.status;

  const applySession = useCallback((session: Session) => {
    setCsrfToken(session.csrfToken);
    setState({ status: 'authenticated', user: session.user, error: null, signedOut: false });
  }, []);

  const endSession = useCallback(
    (signedOut = false) => {
      setCsrfToken(null);
      queryClient.clear();
      notifications.clean();
      setState({ status: 'unauthenticated', user: null, error: null, signedOut });
    },
    [queryClient],
  );

  useEffect(() => {
    const controller = new AbortController();
    authApi
      .fetchSession(controller.signal)
      .then(applySession)
      .catch((error: unknown) => {
        if (controller.signal.aborted) return;
        if (isApiError(error) && error.status === 401) endSession();
        else setState({ status: 'unavailable', user: null, error, signedOut: false });
      });
    return () => controller.abort();
  }, [attempt, applySession, endSession]);

  useEffect(() => {
    setUnauthorizedHandler(() => {
      if (statusRef.current !== 'authenticated') return;
      statusRef.current = 'unauthenticated'; // several requests may fail at once: notify once
      endSession();
      notifyError('Signed out', new Error('Your session has ended. Sign in again to continue.'));
    });
    setCsrfRefresher(async () => {
      const session = await authApi.fetchSession();
      return session.csrfToken;
    });
    return () => {
      setUnauthorizedHandler(null);
      setCsrfRefresher(null);
    };
  }, [endSession]);

  const signIn = useCallback(
    async (email: string, password: string) => {
      const session = await authApi.login(email, password);
      queryClient.clear();
      applySession(session);
    },
    [applySession, queryClient],
  );

  const signOut = useCallback(async () => {
    try {
      await authApi.logout();
    } catch (error) {
      // Already signed out on the server: nothing more to do.
      if (!(isApiError(error) && error.status === 401)) throw error;
    }
    endSession(true);
  }, [endSession]);

  const reload = useCallback(() => {
    setState(LOADING);
    setAttempt((n) => n + 1);
  }, []);

  const refreshUser = useCallback(async () => {
    applySession(await authApi.fetchSession());
  }, [applySession]);

  const value = useMemo<AuthContextValue>(
    () => ({ ...state, signIn, signOut, reload, refreshUser }),
    [state, signIn, signOut, reload, refreshUser],
  );

  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}
