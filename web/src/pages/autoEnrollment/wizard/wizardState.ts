/**
 * The Add ABM token wizard lives in the Auto-Enrollment page's URL, so closing it (or reloading)
 * midway loses nothing: the pending token is on the server and "Continue setup" reopens it.
 *
 *   ?wizard=add                          step 1, nothing created yet
 *   ?wizard=add&token=P&step=key|abm|upload[&renew=Y]
 *                                        P is the pending token from step 1; with renew=Y the
 *                                        upload goes to the existing token Y instead
 *   ?wizard=renew&token=X&step=key|abm|upload
 *                                        renew X (the row's "Renew" action)
 */
export type WizardMode = 'add' | 'renew';
export type WizardStep = 'site' | 'key' | 'abm' | 'upload';

export const WIZARD_STEPS: readonly WizardStep[] = ['site', 'key', 'abm', 'upload'];

export interface WizardState {
  mode: WizardMode;
  step: WizardStep;
  /** The token whose setup this is: the pending token (add) or the renewed one (renew). */
  tokenId: string | null;
  /** Add mode only: the existing token chosen under "Renew an existing ABM token". */
  renewId: string | null;
}

const PARAMS = ['wizard', 'token', 'step', 'renew'] as const;

export function readWizard(params: URLSearchParams): WizardState | null {
  const mode = params.get('wizard');
  if (mode !== 'add' && mode !== 'renew') return null;
  const tokenId = params.get('token') || null;
  const requested = params.get('step') as WizardStep | null;
  let step: WizardStep = requested && WIZARD_STEPS.includes(requested) ? requested : tokenId ? 'key' : 'site';
  if (mode === 'renew') {
    if (!tokenId) return null;
    if (step === 'site') step = 'key';
    return { mode, step, tokenId, renewId: tokenId };
  }
  if (!tokenId) step = 'site';
  return { mode, step, tokenId, renewId: tokenId ? params.get('renew') || null : null };
}

/** The page's other parameters (filters) with the wizard's replaced. */
export function writeWizard(params: URLSearchParams, state: WizardState | null): URLSearchParams {
  const next = new URLSearchParams(params);
  for (const name of PARAMS) next.delete(name);
  if (!state) return next;
  next.set('wizard', state.mode);
  if (state.tokenId) next.set('token', state.tokenId);
  if (state.step !== 'site' || state.tokenId) next.set('step', state.step);
  if (state.mode === 'add' && state.renewId) next.set('renew', state.renewId);
  return next;
}

/** The token the upload (and the "Download public key" step) is for. */
export function uploadTargetId(state: WizardState): string | null {
  return state.renewId ?? state.tokenId;
}
