import { Anchor, Button, EmptyState, Group, Skeleton, Table, Text } from '@mantine/core';
import { IconMapPin } from '@tabler/icons-react';
import { Link } from 'react-router-dom';
import type { Site } from '../../api';
import { ListFooter } from '../../components/ListFooter';
import { RowActionsCell, RowActionsHeader } from '../../components/RowActions';
import { TableSkeletonRows } from '../../components/TableSkeleton';
import { formatDate, formatDateTime } from '../../lib/format';
import { useDeviceSummary } from '../../queries/devices';
import { EnrollmentCounts } from '../devices/EnrollmentCounts';

export interface SitesTableProps {
  sites: Site[];
  loading: boolean;
  hasMore: boolean;
  loadingMore: boolean;
  onLoadMore: () => void;
  /** Absent for a read-only user. */
  onCreate?: () => void;
  onRename?: (site: Site) => void;
  onDelete?: (site: Site) => void;
}

export function SitesTable(props: SitesTableProps) {
  const { sites, loading, onCreate, onRename, onDelete } = props;

  if (!loading && sites.length === 0) {
    return (
      <EmptyState
        py={40}
        icon={<IconMapPin size={28} stroke={1.5} />}
        variant="light"
        title="No sites yet"
        description="Add a site for each location or department. When you connect an ABM token you choose the site its devices appear under."
      >
        {onCreate ? (
          <EmptyState.Actions>
            <Button variant="light" onClick={onCreate}>
              Add the first site
            </Button>
          </EmptyState.Actions>
        ) : null}
      </EmptyState>
    );
  }

  return (
    <>
      <Table.ScrollContainer minWidth={620}>
        <Table verticalSpacing="sm" horizontalSpacing="md" highlightOnHover>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th w={260}>Devices</Table.Th>
              <Table.Th w={180}>Created</Table.Th>
              <RowActionsHeader />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {loading ? (
              <TableSkeletonRows columns={4} rows={3} />
            ) : (
              sites.map((site) => (
                <Table.Tr key={site.id}>
                  <Table.Td>
                    <Text size="sm" fw={500} style={{ overflowWrap: 'anywhere' }}>
                      {site.name}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <SiteDevices site={site} />
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" c="dimmed" title={formatDateTime(site.createdAt)}>
                      {formatDate(site.createdAt)}
                    </Text>
                  </Table.Td>
                  <RowActionsCell
                    name={site.name}
                    onRename={onRename && (() => onRename(site))}
                    onDelete={onDelete && (() => onDelete(site))}
                  />
                </Table.Tr>
              ))
            )}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {!loading ? (
        <ListFooter
          shown={sites.length}
          noun={sites.length === 1 ? 'site' : 'sites'}
          hasMore={props.hasMore}
          loadingMore={props.loadingMore}
          onLoadMore={props.onLoadMore}
        />
      ) : null}
    </>
  );
}

/** The site's devices per enrollment state, linked to the Devices view filtered by the site. */
function SiteDevices({ site }: { site: Site }) {
  const summary = useDeviceSummary({ customerId: site.customerId, siteId: site.id }, { busy: false });
  if (!summary.data) {
    return summary.isPending ? (
      <Skeleton height={12} width={120} radius="sm" />
    ) : (
      <Text size="sm" c="dimmed">
        —
      </Text>
    );
  }
  const { total, byEnrollmentState } = summary.data;
  if (total === 0) {
    return (
      <Text size="sm" c="dimmed">
        No devices
      </Text>
    );
  }
  const href = `/apple/devices?customerId=${encodeURIComponent(site.customerId)}&siteId=${encodeURIComponent(site.id)}`;
  return (
    <Group gap={8} wrap="nowrap">
      <Anchor component={Link} to={href} size="sm" fw={500} style={{ whiteSpace: 'nowrap' }} title="Show these devices">
        {total}
      </Anchor>
      <EnrollmentCounts counts={byEnrollmentState} size="xs" c="dimmed" />
    </Group>
  );
}
