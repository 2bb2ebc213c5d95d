import {
  ActionIcon,
  Alert,
  Button,
  CopyButton,
  Divider,
  Drawer,
  Fieldset,
  Group,
  MultiSelect,
  Select,
  Skeleton,
  Stack,
  Switch,
  Text,
  TextInput,
  Title,
  Tooltip,
} from '@mantine/core';
import { IconAlertCircle, IconCheck, IconCopy } from '@tabler/icons-react';
import { useMemo, useState, type ChangeEvent, type FormEvent } from 'react';
import { errorMessage, isApiError, type AbmToken, type EnrollmentProfile } from '../../../api';
import { usePermissions } from '../../../auth/permissions';
import { QueryErrorAlert } from '../../../components/QueryErrorAlert';
import { formatDateTime } from '../../../lib/format';
import { notifySuccess } from '../../../lib/notify';
import { useHideAppBehindDialog } from '../../../lib/useHideAppBehindDialog';
import { useEnrollmentProfile, useSaveEnrollmentProfile } from '../../../queries/abmTokens';
import { tokenDisplayName } from '../tokenStatus';
import { languageOptions, regionOptions } from './localeOptions';
import {
  PROFILE_LIMITS,
  fieldOfError,
  toFormValues,
  toProfileInput,
  validateProfile,
  type ProfileErrors,
  type ProfileFormValues,
} from './profileForm';
import { SETUP_PANES, setupPaneOptions } from './setupPanes';

export interface EnrollmentProfileDrawerProps {
  token: AbmToken;
  onClose: () => void;
}

/**
 * The token's default Setup Assistant profile: Orchard assigns it to every device the token
 * syncs. A read-only user sees it without the means to change it.
 */
export function EnrollmentProfileDrawer({ token, onClose }: EnrollmentProfileDrawerProps) {
  useHideAppBehindDialog(true);
  const profile = useEnrollmentProfile(token.id);
  const { canWrite } = usePermissions();

  let body;
  if (profile.data) {
    body = (
      <ProfileForm
        tokenId={token.id}
        profile={profile.data}
        readOnly={!canWrite}
        onCancel={onClose}
        onSaved={onClose}
      />
    );
  } else if (profile.isError) {
    body = (
      <QueryErrorAlert
        title="Could not load the enrollment profile"
        error={profile.error}
        onRetry={() => void profile.refetch()}
        retrying={profile.isRefetching}
      />
    );
  } else {
    body = (
      <Stack gap="md" aria-busy="true" aria-label="Loading enrollment profile">
        {Array.from({ length: 7 }, (_, index) => (
          <Skeleton key={index} height={index % 2 ? 36 : 14} width={index % 2 ? '100%' : '30%'} radius="sm" />
        ))}
      </Stack>
    );
  }

  return (
    <Drawer
      opened
      onClose={onClose}
      position="right"
      size="lg"
      title={`Enrollment profile — ${tokenDisplayName(token)}`}
      closeButtonProps={{ 'aria-label': 'Close dialog' }}
      styles={{ title: { fontWeight: 600, fontSize: 'var(--mantine-font-size-lg)' } }}
    >
      <Stack gap="md">
        <Text size="sm" c="dimmed">
          The Setup Assistant profile Orchard assigns to every device of this MDM server ({token.customerName} ›{' '}
          {token.siteName}).{' '}
          {canWrite
            ? 'When you save a change, Orchard defines the new profile with Apple and assigns it to the token’s devices again.'
            : 'Your account is read-only: you can look at the profile but not change it.'}
        </Text>
        {body}
      </Stack>
    </Drawer>
  );
}

interface ProfileFormProps {
  tokenId: string;
  profile: EnrollmentProfile;
  /** Every field disabled, and no Save. */
  readOnly: boolean;
  onCancel: () => void;
  onSaved: () => void;
}

function ProfileForm({ tokenId, profile, readOnly, onCancel, onSaved }: ProfileFormProps) {
  const [values, setValues] = useState<ProfileFormValues>(() => toFormValues(profile));
  const [errors, setErrors] = useState<ProfileErrors>({});
  const [formError, setFormError] = useState<unknown>(null);
  const save = useSaveEnrollmentProfile(tokenId);

  const paneOptions = useMemo(() => setupPaneOptions(values.skipSetupItems), [values.skipSetupItems]);
  const languages = useMemo(() => languageOptions(values.language), [values.language]);
  const regions = useMemo(() => regionOptions(values.region), [values.region]);

  function set<K extends keyof ProfileFormValues>(field: K, value: ProfileFormValues[K]) {
    setValues((current) => ({ ...current, [field]: value }));
    if (errors[field]) setErrors((current) => ({ ...current, [field]: undefined }));
  }

  function setSupervised(supervised: boolean) {
    // Apple lets only supervised devices be kept from removing the profile.
    setValues((current) => ({
      ...current,
      isSupervised: supervised,
      isMdmRemovable: supervised ? current.isMdmRemovable : true,
    }));
    if (errors.isMdmRemovable) setErrors((current) => ({ ...current, isMdmRemovable: undefined }));
  }

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (save.isPending) return;
    const invalid = validateProfile(values);
    setErrors(invalid);
    setFormError(null);
    if (Object.keys(invalid).length > 0) return;
    try {
      await save.mutateAsync(toProfileInput(values));
      notifySuccess('Profile saved — devices will be re-assigned');
      onSaved();
    } catch (error) {
      const field = isApiError(error) && error.status === 400 ? fieldOfError(error.field, error.detail) : null;
      if (field && isApiError(error)) setErrors({ [field]: error.detail });
      else setFormError(error);
    }
  }

  const text = (
    field:
      | 'profileName'
      | 'department'
      | 'supportPhoneNumber'
      | 'supportEmailAddress'
      | 'minimumIosVersion'
      | 'minimumMacosVersion',
  ) => ({
    value: values[field],
    onChange: (event: ChangeEvent<HTMLInputElement>) => set(field, event.currentTarget.value),
    error: errors[field],
    autoComplete: 'off',
  });

  return (
    <form onSubmit={handleSubmit} noValidate>
      <Stack gap="md">
        {profile.lastError ? (
          <Alert color="red" variant="light" icon={<IconAlertCircle size={18} />} title="Last error from Apple">
            {profile.lastError}
          </Alert>
        ) : null}
        {formError ? (
          <Alert color="red" variant="light" icon={<IconAlertCircle size={18} />} title="Not saved" role="alert">
            {errorMessage(formError)}
          </Alert>
        ) : null}

        {/* A disabled fieldset disables every control in it, the selects' and switches' too. */}
        <Fieldset variant="unstyled" disabled={readOnly}>
          <Stack gap="md">
            <TextInput
              label="Profile name"
              description={`Shown on the device during Setup Assistant. Up to ${PROFILE_LIMITS.profileName} characters.`}
              required
              withAsterisk={false}
              data-autofocus
              {...text('profileName')}
            />

            <Stack gap="sm">
              <Switch
                label="Supervised"
                description="Supervision gives Orchard more control of the device (required by many restrictions)."
                checked={values.isSupervised}
                onChange={(event) => setSupervised(event.currentTarget.checked)}
              />
              <Switch
                label="Mandatory"
                description="The user cannot skip enrollment in Setup Assistant."
                checked={values.isMandatory}
                onChange={(event) => set('isMandatory', event.currentTarget.checked)}
              />
              <Switch
                label="Removable by user"
                description={
                  values.isSupervised
                    ? 'The user can remove the MDM profile in Settings.'
                    : 'Always on for unsupervised devices: turn on Supervised to keep users from removing the MDM profile.'
                }
                checked={values.isSupervised ? values.isMdmRemovable : true}
                disabled={!values.isSupervised}
                onChange={(event) => set('isMdmRemovable', event.currentTarget.checked)}
                error={errors.isMdmRemovable}
              />
              <Switch
                label="Await device configured"
                description="Setup Assistant waits until Orchard has configured the device before the user continues."
                checked={values.awaitDeviceConfigured}
                onChange={(event) => set('awaitDeviceConfigured', event.currentTarget.checked)}
              />
            </Stack>

            <MultiSelect
              label="Skip setup panes"
              description="Setup Assistant panes the user does not see."
              placeholder={values.skipSetupItems.length === 0 ? 'Show every pane' : undefined}
              data={paneOptions}
              value={values.skipSetupItems}
              onChange={(keys) => set('skipSetupItems', keys)}
              renderOption={({ option }) => (
                <Group gap="xs" justify="space-between" wrap="nowrap" w="100%">
                  <Text size="sm">{option.label}</Text>
                  {SETUP_PANES.some((pane) => pane.key === option.value && pane.label !== pane.key) ? (
                    <Text size="xs" c="dimmed" ff="monospace">
                      {option.value}
                    </Text>
                  ) : null}
                </Group>
              )}
              error={errors.skipSetupItems}
              searchable
              clearable
              maxDropdownHeight={280}
              nothingFoundMessage="No setup pane has this name."
            />

            <TextInput
              label="Department"
              description={`Shown with the support details during setup. Up to ${PROFILE_LIMITS.department} characters.`}
              {...text('department')}
            />
            <Group grow align="flex-start">
              <TextInput
                label="Support phone number"
                type="tel"
                description={`Up to ${PROFILE_LIMITS.supportPhoneNumber} characters.`}
                {...text('supportPhoneNumber')}
              />
              <TextInput
                label="Support email address"
                type="email"
                description={`Up to ${PROFILE_LIMITS.supportEmailAddress} characters.`}
                {...text('supportEmailAddress')}
              />
            </Group>
            <Group grow align="flex-start">
              <Select
                label="Language"
                placeholder="Device default"
                data={languages}
                value={values.language}
                onChange={(code) => set('language', code)}
                error={errors.language}
                searchable
                clearable
                nothingFoundMessage="No language has this name."
              />
              <Select
                label="Region"
                placeholder="Device default"
                data={regions}
                value={values.region}
                onChange={(code) => set('region', code)}
                error={errors.region}
                searchable
                clearable
                nothingFoundMessage="No region has this name."
              />
            </Group>

            <Divider mt="xs" />
            <Stack gap={2}>
              <Title order={4} fz="sm" fw={600}>
                Minimum OS versions
              </Title>
              <Text size="xs" c="dimmed">
                Devices that can update during Setup Assistant and run an older version are asked to update before they
                enroll. Leave a field empty for no minimum.
              </Text>
            </Stack>
            <Group grow align="flex-start">
              <TextInput
                label="Minimum iOS and iPadOS version"
                description="For iPhones and iPads on iOS 17 or later, e.g. 17.4 or 18.1.1."
                placeholder="No minimum"
                inputMode="decimal"
                {...text('minimumIosVersion')}
              />
              <TextInput
                label="Minimum macOS version"
                description="For Macs on macOS 14 or later, e.g. 14.6 or 15.1."
                placeholder="No minimum"
                inputMode="decimal"
                {...text('minimumMacosVersion')}
              />
            </Group>
          </Stack>
        </Fieldset>

        <Divider mt="xs" />
        <Title order={4} fz="sm" fw={600}>
          Enrollment details
        </Title>
        <TextInput
          label="Enrollment URL"
          description="Where devices of this MDM server enroll."
          value={profile.url ?? ''}
          readOnly
          styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 12 } }}
          rightSection={profile.url ? <CopyUrlButton url={profile.url} /> : null}
        />
        <Group grow align="flex-start">
          <TextInput
            label="Profile UUID"
            value={profile.profileUuid ?? 'Not yet defined'}
            readOnly
            styles={{
              input: {
                fontFamily: profile.profileUuid ? 'var(--mantine-font-family-monospace)' : undefined,
                fontSize: 12,
              },
            }}
          />
          <TextInput
            label="Defined with Apple"
            value={profile.definedAt ? formatDateTime(profile.definedAt) : 'Not yet'}
            readOnly
          />
        </Group>

        <Group justify="flex-end" gap="sm" mt="sm">
          <Button variant="default" onClick={onCancel} disabled={save.isPending}>
            {readOnly ? 'Close' : 'Cancel'}
          </Button>
          {!readOnly ? (
            <Button type="submit" loading={save.isPending}>
              Save
            </Button>
          ) : null}
        </Group>
      </Stack>
    </form>
  );
}

function CopyUrlButton({ url }: { url: string }) {
  return (
    <CopyButton value={url} timeout={2000}>
      {({ copied, copy }) => (
        <Tooltip label={copied ? 'Copied' : 'Copy enrollment URL'} withArrow position="left">
          <ActionIcon
            variant="subtle"
            color={copied ? 'green' : 'gray'}
            onClick={copy}
            aria-label={copied ? 'Enrollment URL copied' : 'Copy enrollment URL'}
          >
            {copied ? <IconCheck size={16} /> : <IconCopy size={16} />}
          </ActionIcon>
        </Tooltip>
      )}
    </CopyButton>
  );
}
