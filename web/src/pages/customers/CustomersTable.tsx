import { Anchor, Button, EmptyState, Table, Text } from '@mantine/core';
import { IconBuildingStore, IconSearchOff } from '@tabler/icons-react';
import { Link } from 'react-router-dom';
import type { Customer } from '../../api';
import { ListFooter } from '../../components/ListFooter';
import { RowActionsCell, RowActionsHeader } from '../../components/RowActions';
import { TableSkeletonRows } from '../../components/TableSkeleton';
import { formatDate, formatDateTime } from '../../lib/format';

export interface CustomersTableProps {
  customers: Customer[];
  loading: boolean;
  query: string;
  hasMore: boolean;
  loadingMore: boolean;
  onLoadMore: () => void;
  /** Absent for whoever may not do it (only admins add and delete customers). */
  onCreate?: () => void;
  onClearSearch: () => void;
  onRename?: (customer: Customer) => void;
  onDelete?: (customer: Customer) => void;
}

export function CustomersTable(props: CustomersTableProps) {
  const { customers, loading, query, onCreate, onClearSearch, onRename, onDelete } = props;

  if (!loading && customers.length === 0) {
    return query ? (
      <EmptyState
        py={48}
        icon={<IconSearchOff size={28} stroke={1.5} />}
        withIndicatorBackground
        title="No matching customers"
        description={`No customer name contains “${query}”.`}
      >
        <EmptyState.Actions>
          <Button variant="default" onClick={onClearSearch}>
            Clear search
          </Button>
        </EmptyState.Actions>
      </EmptyState>
    ) : onCreate ? (
      <EmptyState
        py={48}
        icon={<IconBuildingStore size={28} stroke={1.5} />}
        variant="light"
        title="No customers yet"
        description="Add the organizations you manage. Each customer gets sites, and ABM tokens connect a customer and site to Apple Business Manager so devices enroll automatically."
      >
        <EmptyState.Actions>
          <Button variant="light" onClick={onCreate}>
            Add your first customer
          </Button>
        </EmptyState.Actions>
      </EmptyState>
    ) : (
      <EmptyState
        py={48}
        icon={<IconBuildingStore size={28} stroke={1.5} />}
        variant="light"
        title="No customers yet"
        description="No customer is assigned to you yet. An Orchard admin assigns customers to users."
      />
    );
  }

  return (
    <>
      <Table.ScrollContainer minWidth={560}>
        <Table verticalSpacing="sm" horizontalSpacing="md" highlightOnHover>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th w={120}>Sites</Table.Th>
              <Table.Th w={180}>Created</Table.Th>
              <RowActionsHeader />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {loading ? (
              <TableSkeletonRows columns={4} />
            ) : (
              customers.map((customer) => (
                <Table.Tr key={customer.id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/customers/${encodeURIComponent(customer.id)}`} fw={500} size="sm">
                      {customer.name}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{customer.siteCount}</Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" c="dimmed" title={formatDateTime(customer.createdAt)}>
                      {formatDate(customer.createdAt)}
                    </Text>
                  </Table.Td>
                  <RowActionsCell
                    name={customer.name}
                    onRename={onRename && (() => onRename(customer))}
                    onDelete={onDelete && (() => onDelete(customer))}
                  />
                </Table.Tr>
              ))
            )}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {!loading ? (
        <ListFooter
          shown={customers.length}
          noun={customers.length === 1 ? 'customer' : 'customers'}
          hasMore={props.hasMore}
          loadingMore={props.loadingMore}
          onLoadMore={props.onLoadMore}
        />
      ) : null}
    </>
  );
}
