import { ActionIcon, Alert, Anchor, Button, Group, Paper, Stack, Text } from '@mantine/core';
import { IconAlertCircle, IconDownload, IconFileCertificate, IconUpload, IconX } from '@tabler/icons-react';
import { useRef, useState, type MouseEvent } from 'react';
import type { AbmToken } from '../../../api';
import { FileDropZone, type DropRejection } from '../../../components/FileDropZone';
import { formatBytes } from '../../../lib/format';
import { useUploadServerToken } from '../../../queries/abmTokens';
import {
  MAX_TOKEN_FILE_BYTES,
  emptyFileProblem,
  tooLargeProblem,
  tooManyFilesProblem,
  uploadProblem,
  type UploadProblem,
} from './uploadErrors';
import { WizardFooter } from './WizardFooter';

export interface StepUploadTokenProps {
  /** The token the server token file is uploaded to. */
  target: AbmToken;
  renewing: boolean;
  onBack: () => void;
  /** "Download public key again": back to the public key step. */
  onDownloadKeyAgain: () => void;
  onUploaded: (token: AbmToken) => void;
}

/** The chosen file, read into memory when chosen: replacing it on disk afterwards cannot break the upload. */
interface ChosenFile {
  name: string;
  size: number;
  bytes: Blob;
}

export function StepUploadToken({ target, renewing, onBack, onDownloadKeyAgain, onUploaded }: StepUploadTokenProps) {
  const [file, setFile] = useState<ChosenFile | null>(null);
  const [problem, setProblem] = useState<UploadProblem | null>(null);
  const openRef = useRef<(() => void) | null>(null);
  const upload = useUploadServerToken();

  async function choose(chosen: File) {
    try {
      const bytes = new Blob([await chosen.arrayBuffer()]);
      setFile({ name: chosen.name, size: bytes.size, bytes });
      setProblem(bytes.size === 0 ? emptyFileProblem(chosen.name) : null);
    } catch {
      setFile(null);
      setProblem({
        code: 'FILE_UNREADABLE',
        title: 'File could not be read',
        detail: `Your browser could not read “${chosen.name}”. Check that the file still exists, then select it again.`,
      });
    }
  }

  function reject(rejection: DropRejection) {
    if (rejection.reason === 'too-many-files') {
      setProblem(tooManyFilesProblem());
    } else {
      setFile(null);
      setProblem(tooLargeProblem(rejection.file.name, formatBytes(rejection.file.size)));
    }
  }

  function browse(event: MouseEvent<HTMLButtonElement>) {
    // The box itself also opens the file picker on click: open it once.
    event.stopPropagation();
    openRef.current?.();
  }

  async function submit() {
    if (!file || upload.isPending) return;
    if (file.size === 0) {
      setProblem(emptyFileProblem(file.name));
      return;
    }
    setProblem(null);
    try {
      onUploaded(await upload.mutateAsync({ id: target.id, file: file.bytes }));
    } catch (error) {
      setProblem(uploadProblem(error));
    }
  }

  return (
    <Stack gap="md">
      <Text size="sm">
        {renewing ? (
          <>
            The server token renews <strong>{target.serverName ?? 'this token'}</strong> for {target.customerName} ›{' '}
            {target.siteName}.
          </>
        ) : (
          <>
            The server token connects its MDM server to {target.customerName} › {target.siteName}.
          </>
        )}
      </Text>

      <FileDropZone
        onFile={(chosen) => void choose(chosen)}
        onReject={reject}
        maxSize={MAX_TOKEN_FILE_BYTES}
        openRef={openRef}
        loading={upload.isPending}
        inputLabel="Server token file"
      >
        {(state) => (
          <Stack align="center" gap="xs" mih={120} justify="center" ta="center">
            {state === 'accept' ? (
              <IconUpload size={40} stroke={1.4} color="var(--mantine-color-green-6)" aria-hidden />
            ) : state === 'reject' ? (
              <IconX size={40} stroke={1.4} color="var(--mantine-color-red-6)" aria-hidden />
            ) : (
              <IconFileCertificate size={40} stroke={1.4} color="var(--mantine-color-dimmed)" aria-hidden />
            )}
            <Text size="sm" maw={460}>
              Click{' '}
              <Anchor component="button" type="button" onClick={browse} fw={600} inherit>
                browse
              </Anchor>
              , or drag and drop the token downloaded from Apple Business Manager into the box, to select the token.
            </Text>
            <Text size="xs" c="dimmed">
              The file’s name ends in _smime.p7m. It is a few kilobytes.
            </Text>
          </Stack>
        )}
      </FileDropZone>

      {file ? (
        <Paper withBorder radius="md" px="md" py="xs">
          <Group justify="space-between" wrap="nowrap" gap="sm">
            <Group gap="sm" wrap="nowrap" style={{ minWidth: 0 }}>
              <IconFileCertificate size={20} stroke={1.6} aria-hidden style={{ flexShrink: 0 }} />
              <Stack gap={0} style={{ minWidth: 0 }}>
                <Text size="sm" fw={500} truncate="end" title={file.name}>
                  {file.name}
                </Text>
                <Text size="xs" c="dimmed">
                  {formatBytes(file.size)}
                </Text>
              </Stack>
            </Group>
            <ActionIcon
              variant="subtle"
              color="gray"
              aria-label="Remove selected file"
              onClick={() => {
                setFile(null);
                setProblem(null);
              }}
              disabled={upload.isPending}
            >
              <IconX size={16} />
            </ActionIcon>
          </Group>
        </Paper>
      ) : null}

      {problem ? (
        <Alert color="red" variant="light" icon={<IconAlertCircle size={18} />} title={problem.title} role="alert">
          <Stack gap="sm" align="flex-start">
            <Text size="sm">{problem.detail}</Text>
            {problem.code === 'TOKEN_WRONG_KEY' ? (
              <Button
                size="xs"
                variant="white"
                color="red"
                leftSection={<IconDownload size={14} />}
                onClick={onDownloadKeyAgain}
              >
                Download public key again
              </Button>
            ) : null}
          </Stack>
        </Alert>
      ) : null}

      <WizardFooter onBack={onBack} backDisabled={upload.isPending}>
        <Button
          leftSection={<IconUpload size={16} />}
          onClick={() => void submit()}
          disabled={!file}
          loading={upload.isPending}
        >
          Upload
        </Button>
      </WizardFooter>
    </Stack>
  );
}
