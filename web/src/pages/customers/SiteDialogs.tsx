import { Text } from '@mantine/core';
import type { Customer, Site } from '../../api';
import { ConfirmDeleteModal } from '../../components/ConfirmDeleteModal';
import { NameModal } from '../../components/NameModal';
import { notifySuccess } from '../../lib/notify';
import { useCreateSite, useDeleteSite, useRenameSite } from '../../queries/sites';

export type SiteDialog = { kind: 'create' } | { kind: 'rename'; site: Site } | { kind: 'delete'; site: Site };

export interface SiteDialogsProps {
  customer: Customer;
  dialog: SiteDialog | null;
  onClose: () => void;
}

/** The create / rename / delete dialogs for a customer's sites; at most one is open. */
export function SiteDialogs({ customer, dialog, onClose }: SiteDialogsProps) {
  const create = useCreateSite(customer.id);
  const rename = useRenameSite(customer.id);
  const remove = useDeleteSite(customer.id);

  if (!dialog) return null;

  switch (dialog.kind) {
    case 'create':
      return (
        <NameModal
          opened
          onClose={onClose}
          title="New site"
          description={`A location or department of ${customer.name}. Devices enrolled through this site's ABM tokens appear under it.`}
          submitLabel="Create"
          placeholder="e.g. Head office"
          onSubmit={async (name) => {
            await create.mutateAsync(name);
            notifySuccess('Site created');
            onClose();
          }}
        />
      );
    case 'rename':
      return (
        <NameModal
          opened
          onClose={onClose}
          title="Edit site"
          description={`Change the name of “${dialog.site.name}”. Its tokens and devices are not affected.`}
          submitLabel="Save"
          initialName={dialog.site.name}
          onSubmit={async (name) => {
            await rename.mutateAsync({ id: dialog.site.id, name });
            notifySuccess('Site renamed');
            onClose();
          }}
        />
      );
    case 'delete':
      return (
        <ConfirmDeleteModal
          opened
          onClose={onClose}
          title="Delete site?"
          onConfirm={async () => {
            await remove.mutateAsync(dialog.site);
            notifySuccess('Site deleted');
            onClose();
          }}
        >
          <Text size="sm">
            <Text span fw={600} size="sm">
              {dialog.site.name}
            </Text>{' '}
            will be permanently removed from {customer.name}. Orchard refuses to delete a site that still has ABM tokens
            or devices; move or delete them first.
          </Text>
        </ConfirmDeleteModal>
      );
  }
}
