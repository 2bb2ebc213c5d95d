import { Alert, Button, Group, Modal, Skeleton, Stack, Stepper, Text } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconAlertCircle, IconClockPause } from '@tabler/icons-react';
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { errorMessage, isApiError, type AbmToken } from '../../../api';
import { useHideAppBehindDialog } from '../../../lib/useHideAppBehindDialog';
import { useAbmToken } from '../../../queries/abmTokens';
import { isAwaiting } from '../tokenStatus';
import { StepAppleBusinessManager } from './StepAppleBusinessManager';
import { StepCustomerSite } from './StepCustomerSite';
import { StepPublicKey } from './StepPublicKey';
import { StepUploadToken } from './StepUploadToken';
import { WIZARD_STEPS, uploadTargetId, type WizardState, type WizardStep } from './wizardState';

const STEP_LABELS: Record<WizardStep, string> = {
  site: 'Customer and site',
  key: 'Public key',
  abm: 'Apple Business Manager',
  upload: 'Upload token',
};

export interface AbmTokenWizardProps {
  state: WizardState;
  /** Preselected in step 1 (the page's filters). */
  defaultCustomerId: string | null;
  defaultSiteId: string | null;
  onStateChange: (state: WizardState) => void;
  onClose: () => void;
  /** The server token was uploaded to `token`. */
  onDone: (token: AbmToken, outcome: { renewed: boolean; pendingLeft: AbmToken | null }) => void;
}

/**
 * Add ABM token (and Renew): Customer and site › Public key › Apple Business Manager › Upload token.
 * Its state is in the URL and on the server, so closing it midway keeps the pending token.
 */
export function AbmTokenWizard({
  state,
  defaultCustomerId,
  defaultSiteId,
  onStateChange,
  onClose,
  onDone,
}: AbmTokenWizardProps) {
  useHideAppBehindDialog(true);
  const compact = useMediaQuery('(max-width: 40em)') ?? false;
  const renewOnly = state.mode === 'renew';
  const token = useAbmToken(state.tokenId);
  const targetId = uploadTargetId(state);
  const target = useAbmToken(targetId);
  // Tokens started, and public keys downloaded, while this wizard was open.
  const [created, setCreated] = useState<readonly string[]>([]);
  const [downloaded, setDownloaded] = useState<readonly string[]>([]);

  const active = WIZARD_STEPS.indexOf(state.step);
  const contentRef = useRef<HTMLDivElement>(null);
  const firstStep = useRef(state.step);
  useEffect(() => {
    // Screen readers: announce the new step by moving focus to it (not on opening: Mantine focuses the first field).
    if (state.step !== firstStep.current) contentRef.current?.focus();
    firstStep.current = state.step;
  }, [state.step]);

  const go = (step: WizardStep, changes: Partial<WizardState> = {}) => onStateChange({ ...state, ...changes, step });

  function close() {
    const pending = token.data;
    if (state.mode === 'add' && pending && isAwaiting(pending)) {
      notifications.show({
        title: 'Setup paused',
        message:
          'The token stays on the Apple Business Manager tab as Awaiting token. Choose Continue setup in its actions to finish.',
        color: 'gray',
        icon: <IconClockPause size={18} stroke={1.8} />,
        autoClose: 6000,
      });
    }
    onClose();
  }

  function finish(uploaded: AbmToken) {
    const renewed = state.renewId !== null;
    const pending = state.mode === 'add' && renewed && token.data && isAwaiting(token.data) ? token.data : null;
    onDone(uploaded, { renewed, pendingLeft: pending });
  }

  let content: ReactNode;
  if (state.step === 'site') {
    content =
      state.tokenId && token.isPending ? (
        <StepSkeleton />
      ) : (
        <StepCustomerSite
          token={token.data ?? null}
          defaultCustomerId={defaultCustomerId}
          defaultSiteId={defaultSiteId}
          onCancel={close}
          onDone={(t, isNew) => {
            if (isNew) setCreated((ids) => [...ids, t.id]);
            go('key', { tokenId: t.id, renewId: null });
          }}
        />
      );
  } else if (token.isError || target.isError) {
    content = (
      <MissingToken
        error={token.error ?? target.error}
        renewOnly={renewOnly}
        onRestart={() => onStateChange({ mode: 'add', step: 'site', tokenId: null, renewId: null })}
        onClose={onClose}
      />
    );
  } else if (!token.data || !target.data) {
    content = <StepSkeleton />;
  } else if (state.step === 'key') {
    const keyToken = target.data;
    content = (
      <StepPublicKey
        token={keyToken}
        renewing={state.renewId !== null}
        resumed={!created.includes(keyToken.id)}
        downloaded={downloaded.includes(keyToken.id)}
        onDownloaded={() => setDownloaded((ids) => [...ids, keyToken.id])}
        onBack={renewOnly ? undefined : () => go('site')}
        onNext={() => go('abm')}
      />
    );
  } else if (state.step === 'abm') {
    content = (
      <StepAppleBusinessManager
        token={token.data}
        renewOnly={renewOnly}
        renewId={renewOnly ? null : state.renewId}
        onBack={() => go('key')}
        onNext={(renewId) => go('upload', { renewId: renewOnly ? state.renewId : renewId })}
      />
    );
  } else {
    content = (
      <StepUploadToken
        key={target.data.id}
        target={target.data}
        renewing={state.renewId !== null}
        onBack={() => go('abm')}
        onDownloadKeyAgain={() => go('key')}
        onUploaded={finish}
      />
    );
  }

  return (
    <Modal
      opened
      onClose={close}
      title={renewOnly ? 'Renew ABM token' : 'Add ABM token'}
      size={880}
      fullScreen={compact}
      closeOnClickOutside={false}
      closeButtonProps={{ 'aria-label': 'Close dialog' }}
      styles={{ title: { fontWeight: 650, fontSize: 'var(--mantine-font-size-lg)' } }}
    >
      <Stack gap="lg">
        <Stepper
          active={active}
          size="sm"
          wrap={!compact}
          // A progress list, not buttons: steps are reached with Next and Back.
          attributes={{ steps: { role: 'list', 'aria-label': 'Steps' }, separator: { 'aria-hidden': true } }}
        >
          {WIZARD_STEPS.map((step, index) => (
            <Stepper.Step
              key={step}
              // On a phone the steps are numbers only (named below); screen readers still get their names.
              label={compact ? undefined : STEP_LABELS[step]}
              aria-label={compact ? STEP_LABELS[step] : undefined}
              role="listitem"
              aria-current={index === active ? 'step' : undefined}
            />
          ))}
        </Stepper>
        {compact ? (
          <Text size="sm" fw={600} aria-hidden>
            Step {active + 1} of {WIZARD_STEPS.length} · {STEP_LABELS[state.step]}
          </Text>
        ) : null}
        {state.step !== 'site' && token.data ? (
          <TokenContext
            token={token.data}
            renewTarget={renewOnly ? null : (target.data ?? null)}
            renewing={state.renewId !== null}
          />
        ) : null}
        <div
          ref={contentRef}
          tabIndex={-1}
          role="group"
          aria-label={`Step ${active + 1} of ${WIZARD_STEPS.length}: ${STEP_LABELS[state.step]}`}
          style={{ outline: 'none' }}
        >
          {content}
        </div>
        {state.mode === 'add' && state.tokenId && state.step !== 'site' ? (
          <Text size="xs" c="dimmed">
            You can close this wizard and come back: the token waits on the Apple Business Manager tab as Awaiting
            token, with Continue setup in its actions.
          </Text>
        ) : null}
      </Stack>
    </Modal>
  );
}

function TokenContext({
  token,
  renewTarget,
  renewing,
}: {
  token: AbmToken;
  renewTarget: AbmToken | null;
  renewing: boolean;
}) {
  const shown = renewing && renewTarget ? renewTarget : token;
  return (
    <Text size="sm" c="dimmed">
      {renewing ? `Renewing ${shown.serverName ?? 'ABM token'} · ` : 'New ABM token · '}
      <Text span fw={500} c="var(--mantine-color-text)" size="sm">
        {shown.customerName} › {shown.siteName}
      </Text>
    </Text>
  );
}

function StepSkeleton() {
  return (
    <Stack gap="sm" aria-busy="true" aria-label="Loading">
      <Skeleton height={14} width="70%" radius="sm" />
      <Skeleton height={36} width={200} radius="sm" />
      <Skeleton height={14} width="50%" radius="sm" />
    </Stack>
  );
}

function MissingToken({
  error,
  renewOnly,
  onRestart,
  onClose,
}: {
  error: unknown;
  renewOnly: boolean;
  onRestart: () => void;
  onClose: () => void;
}) {
  const gone = isApiError(error) && error.status === 404;
  return (
    <Stack gap="md">
      <Alert
        color="red"
        variant="light"
        icon={<IconAlertCircle size={18} />}
        title={gone ? 'Token not found' : 'Could not load the token'}
        role="alert"
      >
        {gone ? 'This ABM token no longer exists: it may have been deleted.' : errorMessage(error)}
      </Alert>
      <Group justify="flex-end" gap="sm">
        <Button variant="default" onClick={onClose}>
          Back to the token list
        </Button>
        {!renewOnly ? <Button onClick={onRestart}>Start again</Button> : null}
      </Group>
    </Stack>
  );
}
