import { Anchor, Button, EmptyState, Paper, Stack } from '@mantine/core';
import { IconKey, IconPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { usePermissions } from '../../../auth/permissions';
import { PageHeader } from '../../../components/PageHeader';
import { QueryErrorAlert } from '../../../components/QueryErrorAlert';
import { useNow } from '../../../lib/useNow';
import { useApiKeys } from '../../../queries/apiKeys';
import { ApiKeyDialogs, type ApiKeyDialog } from './ApiKeyDialogs';
import { ApiKeysTable } from './ApiKeysTable';

/** Settings › API keys: everyone's own keys; an admin sees every key and may create one for any user. */
export function ApiKeysPage() {
  const { canWrite, canAdminister } = usePermissions();
  const [dialog, setDialog] = useState<ApiKeyDialog | null>(null);
  const keys = useApiKeys();
  const now = useNow();
  const openCreate = canWrite ? () => setDialog({ kind: 'create' }) : undefined;

  let body;
  if (keys.isError) {
    body = (
      <Stack p="md">
        <QueryErrorAlert
          title="Could not load API keys"
          error={keys.error}
          onRetry={() => void keys.refetch()}
          retrying={keys.isRefetching}
        />
      </Stack>
    );
  } else if (keys.data?.length === 0) {
    body = (
      <EmptyState
        py={48}
        icon={<IconKey size={28} stroke={1.5} />}
        variant="light"
        title="No API keys yet"
        description={
          openCreate
            ? 'Create a key for each script or integration, so that you can revoke one without disturbing the others.'
            : 'Your account is read-only, so it cannot create API keys. An Orchard admin can create one for you.'
        }
      >
        {openCreate ? (
          <EmptyState.Actions>
            <Button variant="light" onClick={openCreate}>
              Create your first API key
            </Button>
          </EmptyState.Actions>
        ) : null}
      </EmptyState>
    );
  } else {
    body = (
      <ApiKeysTable
        keys={keys.data ?? []}
        loading={keys.isPending}
        showUser={canAdminister}
        now={now}
        onRevoke={(apiKey) => setDialog({ kind: 'revoke', apiKey })}
      />
    );
  }

  return (
    <Stack gap="lg" maw={1100}>
      <PageHeader
        title="API keys"
        description={
          <>
            {canAdminister
              ? 'Keys let scripts and integrations use the Orchard API. Each key acts as a user and can be limited to reading; you see every key.'
              : 'Keys let your scripts and integrations use the Orchard API as you, with your customers. A key can be limited to reading.'}{' '}
            See the{' '}
            <Anchor href="/docs" target="_blank" rel="noopener noreferrer" size="sm">
              API documentation
            </Anchor>
            .
          </>
        }
        actions={
          openCreate ? (
            <Button leftSection={<IconPlus size={16} />} onClick={openCreate}>
              Create API key
            </Button>
          ) : null
        }
      />
      <Paper withBorder radius="md">
        {body}
      </Paper>
      <ApiKeyDialogs dialog={dialog} onChange={setDialog} forOthers={canAdminister} />
    </Stack>
  );
}
