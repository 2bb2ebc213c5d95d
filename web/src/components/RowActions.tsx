import { ActionIcon, Menu, Table } from '@mantine/core';
import { IconDots, IconPencil, IconTrash } from '@tabler/icons-react';

export interface RowActionsProps {
  /** The row's name; the button is labelled "Actions for <name>". */
  name: string;
  /** Each is absent when the user may not do it: its item is left out. */
  onRename?: () => void;
  onDelete?: () => void;
}

/** Renders nothing when the user may do neither. */
export function RowActions({ name, onRename, onDelete }: RowActionsProps) {
  if (!onRename && !onDelete) return null;
  return (
    <Menu position="bottom-end" withinPortal shadow="md" width={180}>
      <Menu.Target>
        <ActionIcon variant="subtle" color="gray" aria-label={`Actions for ${name}`}>
          <IconDots size={18} />
        </ActionIcon>
      </Menu.Target>
      <Menu.Dropdown>
        {onRename ? (
          <Menu.Item leftSection={<IconPencil size={16} />} onClick={onRename}>
            Rename
          </Menu.Item>
        ) : null}
        {onDelete ? (
          <Menu.Item leftSection={<IconTrash size={16} />} color="red" onClick={onDelete}>
            Delete
          </Menu.Item>
        ) : null}
      </Menu.Dropdown>
    </Menu>
  );
}

/**
 * The actions column. It is not exposed as a table cell: otherwise the cell's accessible name
 * ("Actions for Head office") would also match a lookup of the row's name cell.
 * The menu button stays fully accessible as "Actions for <name>".
 */
export function RowActionsCell(props: RowActionsProps) {
  return (
    <Table.Td ta="right" role="none">
      <RowActions {...props} />
    </Table.Td>
  );
}

export function RowActionsHeader() {
  return <Table.Th w={56} role="none" />;
}
