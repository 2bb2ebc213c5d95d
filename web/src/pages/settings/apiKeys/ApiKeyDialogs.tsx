import { Code, Text } from '@mantine/core';
import type { ApiKey } from '../../../api';
import { ConfirmDeleteModal } from '../../../components/ConfirmDeleteModal';
import { OneTimeSecretModal } from '../../../components/OneTimeSecretModal';
import { notifySuccess } from '../../../lib/notify';
import { useRevokeApiKey } from '../../../queries/apiKeys';
import { CreateApiKeyModal } from './CreateApiKeyModal';

export type ApiKeyDialog =
  { kind: 'create' } | { kind: 'created'; apiKey: ApiKey; key: string } | { kind: 'revoke'; apiKey: ApiKey };

export interface ApiKeyDialogsProps {
  dialog: ApiKeyDialog | null;
  onChange: (dialog: ApiKeyDialog | null) => void;
  /** Admins may create a key for another user. */
  forOthers: boolean;
}

/** Create (then the key, shown once) and Revoke; at most one is open. */
export function ApiKeyDialogs({ dialog, onChange, forOthers }: ApiKeyDialogsProps) {
  const revoke = useRevokeApiKey();
  const close = () => onChange(null);

  if (!dialog) return null;

  switch (dialog.kind) {
    case 'create':
      return (
        <CreateApiKeyModal
          forOthers={forOthers}
          onClose={close}
          onCreated={(apiKey, key) => onChange({ kind: 'created', apiKey, key })}
        />
      );
    case 'created':
      return (
        <OneTimeSecretModal
          onClose={close}
          title="API key created"
          label="API key"
          secret={dialog.key}
          warning="Store it now: it cannot be shown again"
        >
          <strong>{dialog.apiKey.name}</strong> acts as {dialog.apiKey.userEmail ?? 'an admin'}
          {dialog.apiKey.readOnly ? ', read-only' : ''}. Send it as <Code>Authorization: Bearer &lt;key&gt;</Code> with
          each request to the Orchard API.
        </OneTimeSecretModal>
      );
    case 'revoke':
      return (
        <ConfirmDeleteModal
          opened
          onClose={close}
          title="Revoke API key?"
          confirmLabel="Revoke key"
          failureTitle="Not revoked"
          onConfirm={async () => {
            await revoke.mutateAsync(dialog.apiKey.id);
            notifySuccess('API key revoked');
            close();
          }}
        >
          <Text size="sm">
            <strong>{dialog.apiKey.name}</strong> (<Code>{dialog.apiKey.prefix}…</Code>) stops working at once: what
            uses it gets “not authorized” from then on. This cannot be undone.
          </Text>
        </ConfirmDeleteModal>
      );
  }
}
