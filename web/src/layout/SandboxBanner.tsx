import { Alert } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import { useSystemInfo } from '../queries/system';

/**
 * On every page while a production Orchard runs its built-in Apple sandbox
 * (ORCHARD_SANDBOX=1): tokens and devices from the sandbox are not real, and anyone signed in
 * can make them. A demo server may want that; a customer-facing one never does.
 */
export function SandboxBanner() {
  const system = useSystemInfo();
  if (system.data?.sandbox !== true || system.data.mode !== 'production') return null;
  return (
    <Alert
      color="red"
      variant="filled"
      mb="lg"
      icon={<IconAlertTriangle size={18} />}
      title="Apple sandbox is on in production"
      role="alert"
    >
      This Orchard serves a simulated Apple Business Manager at /sandbox: its tokens and devices are not real. Unset
      ORCHARD_SANDBOX and restart Orchard unless this is a demo or staging server.
    </Alert>
  );
}
