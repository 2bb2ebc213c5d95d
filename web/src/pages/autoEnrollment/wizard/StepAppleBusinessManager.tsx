import { Anchor, Badge, Button, Group, List, Radio, Select, Stack, Text, Tooltip } from '@mantine/core';
import { IconExternalLink } from '@tabler/icons-react';
import { useMemo, useState } from 'react';
import type { AbmToken } from '../../../api';
import { useAbmTokenList } from '../../../queries/abmTokens';
import { useSystemInfo } from '../../../queries/system';
import { isAwaiting } from '../tokenStatus';
import { WizardFooter } from './WizardFooter';

/** Used when GET /system is not available: Apple's own address. */
const APPLE_BUSINESS_MANAGER = 'https://business.apple.com/';

type Choice = 'create' | 'renew';

export interface StepAppleBusinessManagerProps {
  /** The token this wizard works on: the pending token (add) or the token being renewed (renew). */
  token: AbmToken;
  /** The row's "Renew" action: renewing `token` is the only choice. */
  renewOnly: boolean;
  /** The existing token chosen earlier under "Renew an existing ABM token". */
  renewId: string | null;
  onBack: () => void;
  onNext: (renewId: string | null) => void;
}

export function StepAppleBusinessManager({ token, renewOnly, renewId, onBack, onNext }: StepAppleBusinessManagerProps) {
  const [choice, setChoice] = useState<Choice>(renewOnly || renewId ? 'renew' : 'create');
  const [target, setTarget] = useState<string | null>(renewOnly ? token.id : renewId);
  const [targetError, setTargetError] = useState<string | null>(null);
  const tokens = useAbmTokenList({});

  const renewable = useMemo(() => {
    const connected = (tokens.data ?? []).filter((t) => !isAwaiting(t));
    if (renewOnly && !connected.some((t) => t.id === token.id)) connected.unshift(token);
    // This customer's tokens first: renewing usually concerns the same ABM account.
    return connected.sort(
      (a, b) => Number(b.customerId === token.customerId) - Number(a.customerId === token.customerId),
    );
  }, [tokens.data, renewOnly, token]);
  const chosen = renewable.find((t) => t.id === target) ?? null;
  const nothingToRenew = !renewOnly && tokens.isSuccess && renewable.length === 0;

  function next() {
    if (choice === 'create') return onNext(null);
    if (!target) {
      setTargetError('Select the ABM token to renew.');
      return;
    }
    onNext(target);
  }

  return (
    <Stack gap="md">
      <Text size="sm">
        {choice === 'renew'
          ? 'Sign in to Apple Business Manager and download a new server token for the MDM server you renew.'
          : 'Sign in to Apple Business Manager, add an MDM server with Orchard’s public key, and download its server token.'}
      </Text>
      <AbmLink />
      {choice === 'renew' ? (
        <List type="ordered" size="sm" spacing={6} withPadding>
          <List.Item>
            In the customer's Apple Business Manager account, select the user name &gt; Preferences.
          </List.Item>
          <List.Item>
            Select MDM Server Assignment, then select the MDM server{' '}
            {chosen?.serverName ? <strong>{chosen.serverName}</strong> : 'this token was made for'}.
          </List.Item>
          <List.Item>Select Download Token.</List.Item>
          <List.Item>When prompted, select Download Server Token.</List.Item>
        </List>
      ) : (
        <List type="ordered" size="sm" spacing={6} withPadding>
          <List.Item>
            In the customer's Apple Business Manager account, select the user name &gt; Preferences.
          </List.Item>
          <List.Item>Select MDM Server Assignment › Add MDM Server.</List.Item>
          <List.Item>Enter a name for the MDM Server. For example, Orchard Server 1.</List.Item>
          <List.Item>Under MDM Server Settings, select Choose File and select the public key you downloaded.</List.Item>
          <List.Item>Select Save.</List.Item>
          <List.Item>Select Download Token.</List.Item>
          <List.Item>When prompted, select Download Server Token.</List.Item>
        </List>
      )}

      <Radio.Group
        label="Then, in Orchard"
        value={choice}
        onChange={(value) => {
          setChoice(value as Choice);
          setTargetError(null);
        }}
      >
        <Stack gap="xs" mt={6}>
          <Radio
            value="create"
            label="Create a new ABM token"
            description={
              renewOnly
                ? 'To connect another MDM server, close this wizard and choose Add ABM token.'
                : `Connect the new MDM server to ${token.customerName} › ${token.siteName}.`
            }
            disabled={renewOnly}
          />
          <Radio
            value="renew"
            label="Renew an existing ABM token"
            description={
              nothingToRenew
                ? 'No ABM token is connected yet.'
                : 'Upload the new server token to a token that is already connected.'
            }
            disabled={nothingToRenew}
          />
        </Stack>
      </Radio.Group>

      {choice === 'renew' ? (
        <Stack gap={6}>
          <Select
            label="ABM token to renew"
            placeholder={tokens.isPending ? 'Loading ABM tokens…' : 'Select a token'}
            data={renewable.map((t) => ({
              value: t.id,
              label: `${t.serverName ?? 'Unnamed MDM server'} · ${t.customerName} › ${t.siteName}`,
            }))}
            value={target}
            onChange={(value) => {
              setTarget(value);
              setTargetError(null);
            }}
            error={targetError}
            disabled={renewOnly}
            allowDeselect={false}
            searchable
            nothingFoundMessage="No connected token matches."
          />
          {!renewOnly ? (
            <Text size="xs" c="dimmed">
              The upload goes to the token you select. The pending token started in this wizard stays listed as Awaiting
              token; delete it if you do not need it.
            </Text>
          ) : null}
        </Stack>
      ) : null}

      <WizardFooter onBack={onBack}>
        <Button onClick={next}>Next</Button>
      </WizardFooter>
    </Stack>
  );
}

/** "Click the Apple Business Manager link to sign in." — the sandbox ABM when Orchard runs in sandbox mode. */
function AbmLink() {
  const system = useSystemInfo();
  const href = system.data?.appleBusinessManagerUrl || APPLE_BUSINESS_MANAGER;
  return (
    <Group gap="xs" align="center">
      <Text size="sm" component="div">
        Click the{' '}
        <Anchor href={href} target="_blank" rel="noopener noreferrer" fw={500} inherit>
          Apple Business Manager
          <IconExternalLink size={14} stroke={1.8} aria-hidden style={{ marginLeft: 4, verticalAlign: -2 }} />
        </Anchor>{' '}
        link to sign in.
      </Text>
      {system.data?.sandbox ? (
        <Tooltip
          label="Orchard runs against its built-in Apple sandbox: the link opens the sandbox’s Apple Business Manager, no Apple account needed."
          multiline
          w={280}
          withArrow
          events={{ hover: true, focus: true, touch: true }}
        >
          <Badge color="grape" variant="light" size="sm" tt="none" tabIndex={0}>
            Sandbox
          </Badge>
        </Tooltip>
      ) : null}
    </Group>
  );
}
