import { Navigate, useSearchParams } from 'react-router-dom';
import { writeWizard } from './wizard/wizardState';

/** /apple/auto-enrollment/add[?tokenId=…]: the Add ABM token wizard, new or resumed for a pending token. */
export function AddAbmTokenRedirect() {
  const [params] = useSearchParams();
  const tokenId = params.get('tokenId');
  const wizard = writeWizard(new URLSearchParams(), {
    mode: 'add',
    step: tokenId ? 'key' : 'site',
    tokenId: tokenId || null,
    renewId: null,
  });
  return <Navigate to={`/apple/auto-enrollment?${wizard.toString()}`} replace />;
}
