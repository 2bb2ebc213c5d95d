import type { Customer } from '../../api';
import { ConfirmDeleteModal } from '../../components/ConfirmDeleteModal';
import { NameModal } from '../../components/NameModal';
import { notifySuccess } from '../../lib/notify';
import { useCreateCustomer, useDeleteCustomer, useRenameCustomer } from '../../queries/customers';
import { CustomerDeleteText } from './CustomerDeleteText';

export type CustomerDialog =
  { kind: 'create' } | { kind: 'rename'; customer: Customer } | { kind: 'delete'; customer: Customer };

export interface CustomerDialogsProps {
  dialog: CustomerDialog | null;
  onClose: () => void;
  onCreated?: (customer: Customer) => void;
  onDeleted?: (customer: Customer) => void;
}

/** The create / rename / delete dialogs for customers; at most one is open. */
export function CustomerDialogs({ dialog, onClose, onCreated, onDeleted }: CustomerDialogsProps) {
  const create = useCreateCustomer();
  const rename = useRenameCustomer();
  const remove = useDeleteCustomer();

  if (!dialog) return null;

  switch (dialog.kind) {
    case 'create':
      return (
        <NameModal
          opened
          onClose={onClose}
          title="New customer"
          description="The organization you manage, as your technicians know it. You can add its sites next."
          submitLabel="Create"
          placeholder="e.g. Contoso Dental"
          onSubmit={async (name) => {
            const customer = await create.mutateAsync(name);
            notifySuccess('Customer created', 'You can now add its sites.');
            onClose();
            onCreated?.(customer);
          }}
        />
      );
    case 'rename':
      return (
        <NameModal
          opened
          onClose={onClose}
          title="Edit customer"
          description={`Change the name of “${dialog.customer.name}”. Its sites, tokens and devices are not affected.`}
          submitLabel="Save"
          initialName={dialog.customer.name}
          onSubmit={async (name) => {
            await rename.mutateAsync({ id: dialog.customer.id, name });
            notifySuccess('Customer renamed');
            onClose();
          }}
        />
      );
    case 'delete':
      return (
        <ConfirmDeleteModal
          opened
          onClose={onClose}
          title="Delete customer?"
          onConfirm={async () => {
            await remove.mutateAsync(dialog.customer);
            notifySuccess('Customer deleted');
            onClose();
            onDeleted?.(dialog.customer);
          }}
        >
          <CustomerDeleteText customer={dialog.customer} />
        </ConfirmDeleteModal>
      );
  }
}
