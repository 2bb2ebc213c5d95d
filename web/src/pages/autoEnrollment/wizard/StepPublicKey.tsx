import { Anchor, Button, Group, Stack, Text } from '@mantine/core';
import { IconCircleCheck, IconDownload } from '@tabler/icons-react';
import { abmTokensApi, type AbmToken } from '../../../api';
import { downloadUrl } from '../../../lib/download';
import { WizardFooter } from './WizardFooter';

export interface StepPublicKeyProps {
  /** The token whose key pair the server token must be made for (the upload target). */
  token: AbmToken;
  renewing: boolean;
  /** Offer "I already have the key" (the token was not started in this session, or is being renewed). */
  resumed: boolean;
  downloaded: boolean;
  onDownloaded: () => void;
  onBack?: () => void;
  onNext: () => void;
}

export function StepPublicKey({
  token,
  renewing,
  resumed,
  downloaded,
  onDownloaded,
  onBack,
  onNext,
}: StepPublicKeyProps) {
  function download() {
    downloadUrl(abmTokensApi.publicKeyUrl(token.id));
    onDownloaded();
  }

  return (
    <Stack gap="md">
      {renewing ? (
        <Text size="sm">
          Apple Business Manager encrypts the renewed server token with this token’s public key. The MDM server in Apple
          Business Manager normally still has it; download it again if you need to upload it there once more.
        </Text>
      ) : (
        <Text size="sm">
          Download the public key Orchard made for this ABM token. In the next step you upload it to the customer’s
          Apple Business Manager account, which then gives you a server token made for Orchard only.
        </Text>
      )}
      <Group gap="md" align="center">
        <Button
          leftSection={<IconDownload size={16} />}
          onClick={download}
          variant={downloaded ? 'default' : 'filled'}
          data-autofocus
        >
          Download public key
        </Button>
        {downloaded ? (
          <Group gap={6} wrap="nowrap" role="status">
            <IconCircleCheck size={18} color="var(--mantine-color-green-7)" aria-hidden />
            <Text size="sm" c="dimmed">
              Download started: the .pem file is in your browser’s downloads.
            </Text>
          </Group>
        ) : null}
      </Group>
      <Text size="xs" c="dimmed">
        The public key is not secret. Its private key never leaves Orchard.
      </Text>
      <WizardFooter
        onBack={onBack}
        aside={
          resumed && !downloaded ? (
            <Anchor component="button" type="button" size="sm" onClick={onNext}>
              I already have the key
            </Anchor>
          ) : null
        }
      >
        <Button onClick={onNext} disabled={!downloaded}>
          Next
        </Button>
      </WizardFooter>
    </Stack>
  );
}
