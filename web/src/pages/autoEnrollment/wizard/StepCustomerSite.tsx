import { Alert, Button, Group, Paper, Stack, Text, TextInput } from '@mantine/core';
import { IconAlertCircle, IconInfoCircle, IconPlus } from '@tabler/icons-react';
import { useState, type FormEvent, type KeyboardEvent } from 'react';
import { errorMessage, isApiError, type AbmToken } from '../../../api';
import { CustomerSelect } from '../../../components/CustomerSelect';
import { SiteSelect, useAllSites } from '../../../components/SiteSelect';
import { notifySuccess } from '../../../lib/notify';
import { validateName } from '../../../lib/validation';
import { useCreateAbmToken, useMoveAbmToken } from '../../../queries/abmTokens';
import { useCreateSite } from '../../../queries/sites';

export interface StepCustomerSiteProps {
  /** The pending token when the technician came back to this step; its Customer and Site are preselected. */
  token: AbmToken | null;
  defaultCustomerId: string | null;
  defaultSiteId: string | null;
  onCancel: () => void;
  /** The token now exists (created, or the pending one, moved if the choice changed). */
  onDone: (token: AbmToken, created: boolean) => void;
}

export function StepCustomerSite({ token, defaultCustomerId, defaultSiteId, onCancel, onDone }: StepCustomerSiteProps) {
  const [customerId, setCustomerId] = useState<string | null>(token?.customerId ?? defaultCustomerId);
  const [customerName, setCustomerName] = useState<string | null>(token?.customerName ?? null);
  const [siteId, setSiteId] = useState<string | null>(token?.siteId ?? (defaultCustomerId ? defaultSiteId : null));
  const [fieldErrors, setFieldErrors] = useState<{ customer?: string; site?: string }>({});
  const [formError, setFormError] = useState<unknown>(null);
  const create = useCreateAbmToken();
  const move = useMoveAbmToken();
  const sites = useAllSites(customerId);
  const noSites = Boolean(customerId) && sites.isSuccess && !sites.hasNextPage && sites.sites.length === 0;
  const working = create.isPending || move.isPending;

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (working) return;
    const errors = {
      customer: customerId
        ? undefined
        : 'Select the customer whose Apple Business Manager account this token connects.',
      site:
        customerId && !siteId
          ? noSites
            ? 'Create a site first.'
            : 'Select the site its devices appear under.'
          : undefined,
    };
    setFieldErrors(errors);
    setFormError(null);
    if (!customerId || !siteId) return;
    try {
      if (token && token.customerId === customerId && token.siteId === siteId) onDone(token, false);
      else if (token) onDone(await move.mutateAsync({ id: token.id, customerId, siteId }), false);
      else onDone(await create.mutateAsync({ customerId, siteId }), true);
    } catch (error) {
      if (isApiError(error) && error.code === 'VALIDATION_FAILED') setFieldErrors({ site: error.detail });
      else setFormError(error);
    }
  }

  return (
    <form onSubmit={handleSubmit} noValidate>
      <Stack gap="md">
        <Text size="sm">Select the target Customer and Site to associate with this ABM token.</Text>
        {formError ? (
          <Alert
            color="red"
            variant="light"
            icon={<IconAlertCircle size={18} />}
            title="Token not created"
            role="alert"
          >
            {errorMessage(formError)}
          </Alert>
        ) : null}
        <CustomerSelect
          label="Customer"
          value={customerId}
          onChange={(customer) => {
            setCustomerId(customer?.id ?? null);
            setCustomerName(customer?.name ?? null);
            setSiteId(null);
            setFieldErrors({});
          }}
          error={fieldErrors.customer}
          allowDeselect={false}
          withCreateHint
          data-autofocus
          required
          withAsterisk={false}
          openOnFocus={false}
        />
        {noSites && customerId ? (
          <InlineSiteCreate
            customerId={customerId}
            customerName={customerName}
            error={fieldErrors.site}
            onCreated={(id) => {
              setSiteId(id);
              setFieldErrors({});
            }}
          />
        ) : (
          <SiteSelect
            label="Site"
            placeholder={customerId ? 'Select a site' : 'Select a customer first'}
            customerId={customerId}
            value={siteId}
            onChange={(site) => {
              setSiteId(site?.id ?? null);
              setFieldErrors((errors) => ({ ...errors, site: undefined }));
            }}
            error={fieldErrors.site}
            allowDeselect={false}
            required
            withAsterisk={false}
          />
        )}
        <Group gap={8} wrap="nowrap" align="flex-start">
          <IconInfoCircle
            size={18}
            stroke={1.6}
            color="var(--mantine-color-dimmed)"
            style={{ flexShrink: 0 }}
            aria-hidden
          />
          <Text size="sm" c="dimmed">
            When devices associated with this ABM token automatically enroll, they display under this Customer and Site.
          </Text>
        </Group>
        <Group justify="flex-end" gap="sm" mt="xs">
          <Button variant="default" onClick={onCancel} disabled={working}>
            Cancel
          </Button>
          <Button type="submit" loading={working}>
            Next
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

interface InlineSiteCreateProps {
  customerId: string;
  customerName: string | null;
  error?: string;
  onCreated: (siteId: string) => void;
}

/** The customer has no sites: create one here rather than leaving the wizard. */
function InlineSiteCreate({ customerId, customerName, error, onCreated }: InlineSiteCreateProps) {
  const [name, setName] = useState('');
  const [nameError, setNameError] = useState<string | null>(null);
  const createSite = useCreateSite(customerId);

  async function create() {
    if (createSite.isPending) return;
    const invalid = validateName(name);
    setNameError(invalid);
    if (invalid) return;
    try {
      const site = await createSite.mutateAsync(name.trim());
      notifySuccess('Site created', `${site.name} was added to ${customerName ?? 'the customer'}.`);
      onCreated(site.id);
    } catch (err) {
      setNameError(errorMessage(err));
    }
  }

  function handleKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    // Enter here creates the site; it must not submit the step.
    if (event.key === 'Enter') {
      event.preventDefault();
      void create();
    }
  }

  return (
    <Paper withBorder radius="md" p="md" bg="gray.0">
      <Stack gap="sm">
        <Text size="sm" fw={500}>
          {customerName ?? 'This customer'} has no sites yet. Create one to continue.
        </Text>
        <Text size="sm" c={error ? 'red' : 'dimmed'}>
          {error ?? 'A site is a location or department of the customer; the token’s devices appear under it.'}
        </Text>
        <Group align="flex-start" gap="sm" wrap="nowrap">
          <TextInput
            label="Name"
            placeholder="e.g. Head office"
            value={name}
            onChange={(event) => {
              setName(event.currentTarget.value);
              if (nameError) setNameError(null);
            }}
            onKeyDown={handleKeyDown}
            error={nameError}
            autoComplete="off"
            style={{ flex: 1 }}
          />
          <Button
            variant="light"
            leftSection={<IconPlus size={16} />}
            onClick={() => void create()}
            loading={createSite.isPending}
            mt={25}
          >
            Create site
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}
