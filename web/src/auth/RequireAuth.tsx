import { Navigate, Outlet, useLocation } from 'react-router-dom';
import { FullPageLoader } from '../components/FullPageLoader';
import { ServerUnavailable } from './ServerUnavailable';
import { useAuth } from './useAuth';

export interface LoginLocationState {
  /** Where to return after signing in. */
  from?: string;
  /** Arrived from /set-password: the new password is ready to sign in with. */
  passwordSet?: boolean;
}

/** Renders the signed-in part of the app, or sends the visitor to /login and back. */
export function RequireAuth() {
  const { status, signedOut } = useAuth();
  const location = useLocation();

  if (status === 'loading') return <FullPageLoader />;
  if (status === 'unavailable') return <ServerUnavailable />;
  if (status === 'unauthenticated') {
    if (signedOut) return <Navigate to="/login" replace />;
    const state: LoginLocationState = { from: `${location.pathname}${location.search}${location.hash}` };
    return <Navigate to="/login" replace state={state} />;
  }
  return <Outlet />;
}
