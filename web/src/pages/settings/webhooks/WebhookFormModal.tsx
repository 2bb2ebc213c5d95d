import { Alert, Button, Checkbox, Group, Modal, Radio, Stack, TextInput, Textarea } from '@mantine/core';
import { IconAlertCircle } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import { errorMessage, refusedField, type Webhook } from '../../../api';
import type { WebhookChanges } from '../../../api/webhooks';
import { CustomerMultiSelect } from '../../../components/CustomerMultiSelect';
import { notifySuccess } from '../../../lib/notify';
import { useHideAppBehindDialog } from '../../../lib/useHideAppBehindDialog';
import { useAllCustomers } from '../../../queries/customers';
import { useCreateWebhook, useUpdateWebhook } from '../../../queries/webhooks';
import { WEBHOOK_EVENTS, WEBHOOK_EVENT_TYPES, isWebhookEventType } from './webhookEvents';

/** The server's limit (src/domain/webhooks.ts). */
export const DESCRIPTION_MAX_LENGTH = 500;

type CustomerChoice = 'all' | 'chosen';

interface FieldErrors {
  url?: string;
  description?: string;
  events?: string;
  customerIds?: string;
}

export interface WebhookFormModalProps {
  /** Given: edit this webhook; absent: add one. */
  webhook?: Webhook;
  onClose: () => void;
  /** Added: the signing secret is in this answer only. */
  onCreated: (webhook: Webhook, secret: string) => void;
  onSaved: (webhook: Webhook) => void;
}

/** Add or edit a webhook: where it is sent, what about, and for which customers. */
export function WebhookFormModal({ webhook, onClose, onCreated, onSaved }: WebhookFormModalProps) {
  useHideAppBehindDialog(true);
  const create = useCreateWebhook();
  const update = useUpdateWebhook();
  const customers = useAllCustomers();
  const pending = create.isPending || update.isPending;
  const [url, setUrl] = useState(webhook?.url ?? '');
  const [description, setDescription] = useState(webhook?.description ?? '');
  const [events, setEvents] = useState<string[]>(webhook?.events ?? []);
  const [choice, setChoice] = useState<CustomerChoice>(webhook && webhook.customerIds !== null ? 'chosen' : 'all');
  const [customerIds, setCustomerIds] = useState<string[]>(webhook?.customerIds ?? []);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<unknown>(null);

  /** The chosen customers still there: a customer deleted since would be refused. */
  function chosenIds(): string[] {
    if (!customers.data) return customerIds;
    const known = new Set(customers.data.map((customer) => customer.id));
    return customerIds.filter((id) => known.has(id));
  }

  function validate(): FieldErrors {
    return {
      url: validateUrl(url),
      description:
        description.trim().length > DESCRIPTION_MAX_LENGTH
          ? `Use at most ${DESCRIPTION_MAX_LENGTH} characters (this description has ${description.trim().length}).`
          : undefined,
      events: events.length === 0 ? 'Choose at least one event.' : undefined,
      customerIds:
        choice === 'chosen' && chosenIds().length === 0
          ? 'Choose at least one customer, or send the events of all customers.'
          : undefined,
    };
  }

  /** Only what changed: an unchanged field is not sent, so it cannot be refused. */
  function changes(before: Webhook): WebhookChanges {
    const result: WebhookChanges = {};
    if (url.trim() !== before.url) result.url = url.trim();
    if (description.trim() !== before.description) result.description = description.trim();
    if (!sameItems(events, before.events)) result.events = events;
    const ids = choice === 'all' ? null : chosenIds();
    const sameCustomers =
      ids === null || before.customerIds === null ? ids === before.customerIds : sameItems(ids, before.customerIds);
    if (!sameCustomers) result.customerIds = ids;
    return result;
  }

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    const invalid = validate();
    setErrors(invalid);
    setFormError(null);
    if (Object.values(invalid).some((message) => message !== undefined)) return;
    try {
      if (webhook) {
        const patch = changes(webhook);
        if (Object.keys(patch).length === 0) {
          onClose();
          return;
        }
        const saved = await update.mutateAsync({ id: webhook.id, changes: patch });
        notifySuccess('Webhook saved');
        onSaved(saved);
      } else {
        const created = await create.mutateAsync({
          url: url.trim(),
          description: description.trim(),
          events,
          customerIds: choice === 'all' ? null : chosenIds(),
        });
        onCreated(created.webhook, created.secret);
      }
    } catch (error) {
      const refused = refusedField(error, ['url', 'description', 'events', 'customerIds']);
      if (refused) setErrors({ [refused.field]: refused.detail });
      else setFormError(error);
    }
  }

  const title = webhook ? 'Edit webhook' : 'Add webhook';
  return (
    <Modal
      opened
      onClose={onClose}
      title={title}
      centered
      size="lg"
      closeButtonProps={{ 'aria-label': 'Close dialog' }}
    >
      <form onSubmit={handleSubmit} noValidate>
        <Stack gap="md">
          {formError ? (
            <Alert
              color="red"
              variant="light"
              icon={<IconAlertCircle size={18} />}
              title={webhook ? 'Not saved' : 'Not added'}
              role="alert"
            >
              {errorMessage(formError)}
            </Alert>
          ) : null}
          <TextInput
            label="URL"
            type="url"
            description="Where Orchard sends each event, as an HTTPS POST, e.g. https://psa.example.com/hooks/orchard."
            value={url}
            onChange={(event) => {
              setUrl(event.currentTarget.value);
              setErrors((current) => ({ ...current, url: undefined }));
            }}
            error={errors.url}
            autoComplete="off"
            spellCheck={false}
            required
            withAsterisk={false}
            data-autofocus
          />
          <Textarea
            label="Description"
            description="What receives the events, for whoever reads this list later. Optional."
            value={description}
            onChange={(event) => {
              setDescription(event.currentTarget.value);
              setErrors((current) => ({ ...current, description: undefined }));
            }}
            error={errors.description}
            autosize
            minRows={1}
            maxRows={4}
          />
          <Checkbox.Group
            label="Events"
            description="What Orchard tells the receiver about."
            value={events}
            onChange={(next) => {
              // In the form's order; a type this app does not know yet (a newer server's) is kept.
              setEvents([
                ...WEBHOOK_EVENT_TYPES.filter((type) => next.includes(type)),
                ...next.filter((type) => !isWebhookEventType(type)),
              ]);
              setErrors((current) => ({ ...current, events: undefined }));
            }}
            error={errors.events}
          >
            <Stack gap="xs" mt={6}>
              {WEBHOOK_EVENT_TYPES.map((type) => (
                <Checkbox
                  key={type}
                  value={type}
                  label={WEBHOOK_EVENTS[type].label}
                  description={WEBHOOK_EVENTS[type].description}
                />
              ))}
            </Stack>
          </Checkbox.Group>
          <Radio.Group
            label="Customers"
            value={choice}
            onChange={(value) => {
              setChoice(value === 'chosen' ? 'chosen' : 'all');
              setErrors((current) => ({ ...current, customerIds: undefined }));
            }}
          >
            <Stack gap="xs" mt={6}>
              <Radio
                value="all"
                label="All customers"
                description="The events of every customer, including customers added later."
              />
              <Radio value="chosen" label="Some customers" description="Only the events of the customers you choose." />
            </Stack>
          </Radio.Group>
          {choice === 'chosen' ? (
            <CustomerMultiSelect
              label="Chosen customers"
              value={chosenIds()}
              onChange={(ids) => {
                setCustomerIds(ids);
                setErrors((current) => ({ ...current, customerIds: undefined }));
              }}
              error={errors.customerIds}
            />
          ) : null}
          <Group justify="flex-end" gap="sm" mt="xs">
            <Button variant="default" onClick={onClose} disabled={pending}>
              Cancel
            </Button>
            <Button type="submit" loading={pending}>
              {webhook ? 'Save' : 'Add webhook'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

/** Why the URL cannot be a webhook's, or undefined; the server remains the authority (https only in production). */
function validateUrl(raw: string): string | undefined {
  const url = raw.trim();
  if (url === '') return 'Enter the receiver’s URL.';
  if (!/^https?:\/\/[^/]/i.test(url)) return 'Enter the full URL, starting with https://.';
  return undefined;
}

function sameItems(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item) => b.includes(item));
}
