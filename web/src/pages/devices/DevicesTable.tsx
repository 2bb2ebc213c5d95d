import { Anchor, Stack, Table, Text } from '@mantine/core';
import type { Device } from '../../api';
import { ListFooter } from '../../components/ListFooter';
import { TableSkeletonRows } from '../../components/TableSkeleton';
import { formatDate, formatDateTime } from '../../lib/format';
import { EnrollmentStateBadge, ProfileStatusBadge } from './DeviceBadges';
import { deviceModelLines } from './deviceStatus';

const NO_WRAP = { whiteSpace: 'nowrap' } as const;

export interface DevicesTableProps {
  devices: Device[];
  loading: boolean;
  /** False in a customer's own Devices section, where every row is that customer's. */
  showCustomer: boolean;
  hasMore: boolean;
  loadingMore: boolean;
  onLoadMore: () => void;
  onOpen: (device: Device) => void;
}

export function DevicesTable({
  devices,
  loading,
  showCustomer,
  hasMore,
  loadingMore,
  onLoadMore,
  onOpen,
}: DevicesTableProps) {
  const columns = showCustomer ? 10 : 9;
  return (
    <>
      <Table.ScrollContainer minWidth={showCustomer ? 1120 : 1000}>
        <Table verticalSpacing="xs" horizontalSpacing="sm" highlightOnHover>
          <Table.Thead>
            <Table.Tr style={NO_WRAP}>
              <Table.Th>Serial number</Table.Th>
              <Table.Th miw={120}>Model</Table.Th>
              <Table.Th>OS</Table.Th>
              <Table.Th>Color</Table.Th>
              <Table.Th>Profile</Table.Th>
              <Table.Th>Assigned</Table.Th>
              {showCustomer ? <Table.Th>Customer</Table.Th> : null}
              <Table.Th>Site</Table.Th>
              <Table.Th>Token</Table.Th>
              <Table.Th>Enrollment</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {loading ? (
              <TableSkeletonRows columns={columns} />
            ) : (
              devices.map((device) => (
                <DeviceRow
                  key={`${device.serialNumber}:${device.abmTokenId ?? ''}`}
                  device={device}
                  showCustomer={showCustomer}
                  onOpen={onOpen}
                />
              ))
            )}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {!loading ? (
        <ListFooter
          shown={devices.length}
          noun={devices.length === 1 ? 'device' : 'devices'}
          hasMore={hasMore}
          loadingMore={loadingMore}
          onLoadMore={onLoadMore}
        />
      ) : null}
    </>
  );
}

function Dimmed({ children = '—' }: { children?: string }) {
  return (
    <Text size="sm" c="dimmed">
      {children}
    </Text>
  );
}

function DeviceRow({
  device,
  showCustomer,
  onOpen,
}: {
  device: Device;
  showCustomer: boolean;
  onOpen: (device: Device) => void;
}) {
  const model = deviceModelLines(device);
  return (
    <Table.Tr>
      <Table.Td style={NO_WRAP}>
        <Anchor component="button" type="button" size="sm" fw={500} ff="monospace" onClick={() => onOpen(device)}>
          {device.serialNumber}
        </Anchor>
      </Table.Td>
      <Table.Td>
        <Text size="sm" title={model.secondary ?? undefined}>
          {model.primary}
        </Text>
      </Table.Td>
      <Table.Td style={NO_WRAP}>{device.os ? <Text size="sm">{device.os}</Text> : <Dimmed />}</Table.Td>
      <Table.Td>{device.color ? <Text size="sm">{device.color}</Text> : <Dimmed />}</Table.Td>
      <Table.Td style={NO_WRAP}>
        <ProfileStatusBadge device={device} />
      </Table.Td>
      <Table.Td style={NO_WRAP}>
        {device.assignedAt ? (
          <Stack gap={0}>
            <Text size="sm" title={formatDateTime(device.assignedAt)}>
              {formatDate(device.assignedAt)}
            </Text>
            {device.assignedBy ? (
              <Text size="xs" c="dimmed" truncate="end" maw={220} title={device.assignedBy}>
                by {device.assignedBy}
              </Text>
            ) : null}
          </Stack>
        ) : (
          <Dimmed />
        )}
      </Table.Td>
      {showCustomer ? (
        <Table.Td>
          <Text size="sm">{device.customerName}</Text>
        </Table.Td>
      ) : null}
      <Table.Td>
        <Text size="sm">{device.siteName}</Text>
      </Table.Td>
      <Table.Td>{device.serverName ? <Text size="sm">{device.serverName}</Text> : <Dimmed />}</Table.Td>
      <Table.Td style={NO_WRAP}>
        <EnrollmentStateBadge device={device} />
      </Table.Td>
    </Table.Tr>
  );
}
