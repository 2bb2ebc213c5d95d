import { Anchor, Stack, Table, Text, Tooltip } from '@mantine/core';
import type { Device } from '../../api';
import { ListFooter } from '../../components/ListFooter';
import { TableSkeletonRows } from '../../components/TableSkeleton';
import { TruncatedText } from '../../components/TruncatedText';
import { formatDateTime, relativeTime } from '../../lib/format';
import { useNow } from '../../lib/useNow';
import { EnrollmentStateBadge, ProfileStatusBadge } from './DeviceBadges';
import { deviceTitleLines, enrollmentMoment } from './deviceStatus';

const NO_WRAP = { whiteSpace: 'nowrap' } as const;
const TOOLTIP_EVENTS = { hover: true, focus: true, touch: true };

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

/**
 * Five columns that fit a 1280-pixel screen beside the navigation without scrolling sideways:
 * names are cut to their column and shown whole in a tooltip; the drawer has every fact.
 */
export function DevicesTable({
  devices,
  loading,
  showCustomer,
  hasMore,
  loadingMore,
  onLoadMore,
  onOpen,
}: DevicesTableProps) {
  const now = useNow();
  return (
    <>
      <Table.ScrollContainer minWidth={720}>
        <Table verticalSpacing="xs" horizontalSpacing="sm" highlightOnHover style={{ tableLayout: 'fixed' }}>
          <Table.Thead>
            <Table.Tr style={NO_WRAP}>
              <Table.Th w={150}>Serial number</Table.Th>
              <Table.Th>Device</Table.Th>
              <Table.Th w={130}>Profile</Table.Th>
              <Table.Th w="22%">{showCustomer ? 'Customer / Site' : 'Site / Token'}</Table.Th>
              <Table.Th w={190}>Enrollment</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {loading ? (
              <TableSkeletonRows columns={5} />
            ) : (
              devices.map((device) => (
                <DeviceRow
                  key={`${device.serialNumber}:${device.abmTokenId ?? ''}`}
                  device={device}
                  showCustomer={showCustomer}
                  now={now}
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
  now,
  onOpen,
}: {
  device: Device;
  showCustomer: boolean;
  now: number;
  onOpen: (device: Device) => void;
}) {
  const title = deviceTitleLines(device);
  return (
    <Table.Tr>
      <Table.Td style={NO_WRAP}>
        <Anchor component="button" type="button" size="sm" fw={500} ff="monospace" onClick={() => onOpen(device)}>
          {device.serialNumber}
        </Anchor>
      </Table.Td>
      <Table.Td>
        <Stack gap={0}>
          <TruncatedText
            size="sm"
            fw={title.reported ? 500 : undefined}
            tooltip={title.reported ? `${title.title} (the name the device reported)` : undefined}
          >
            {title.title}
          </TruncatedText>
          {title.details ? (
            <TruncatedText size="xs" c="dimmed">
              {title.details}
            </TruncatedText>
          ) : null}
        </Stack>
      </Table.Td>
      <Table.Td style={NO_WRAP}>
        <ProfileStatusBadge device={device} />
      </Table.Td>
      <Table.Td>
        <Placement device={device} showCustomer={showCustomer} />
      </Table.Td>
      <Table.Td style={NO_WRAP}>
        <Stack gap={2} align="flex-start">
          <EnrollmentStateBadge device={device} />
          <EnrollmentTime device={device} now={now} />
        </Stack>
      </Table.Td>
    </Table.Tr>
  );
}

/** Customer and site (or, on a customer's page, site and MDM server); a released device has none. */
function Placement({ device, showCustomer }: { device: Device; showCustomer: boolean }) {
  const first = showCustomer ? device.customerName : device.siteName;
  const second = showCustomer ? device.siteName : device.serverName;
  if (!first && !second) return <Dimmed />;
  const whole = [device.customerName, device.siteName].filter(Boolean).join(' › ');
  const tooltip = device.serverName ? `${whole} · MDM server ${device.serverName}` : whole;
  return (
    <Stack gap={0}>
      <TruncatedText size="sm" tooltip={tooltip}>
        {first ?? '—'}
      </TruncatedText>
      {second ? (
        <TruncatedText size="xs" c="dimmed" tooltip={tooltip}>
          {second}
        </TruncatedText>
      ) : null}
    </Stack>
  );
}

/** "Enrolled 3 minutes ago", with every time Orchard knows about the device in its tooltip. */
function EnrollmentTime({ device, now }: { device: Device; now: number }) {
  const moment = enrollmentMoment(device);
  const times: [string, string | null][] = [
    ['Assigned in ABM', device.assignedAt],
    ['Enrolled', device.enrolledAt],
    ['Released from Setup Assistant', device.setupReleasedAt],
    ['Last seen', device.lastSeenAt],
    ['Removed from ABM', device.removedAt],
  ];
  if (!moment) return null;
  const known = times.filter((entry): entry is [string, string] => entry[1] !== null);
  if (known.length === 0) known.push([moment.label, moment.at]);
  return (
    <Tooltip
      withArrow
      multiline
      events={TOOLTIP_EVENTS}
      label={
        <Stack gap={2}>
          {known.map(([label, at]) => (
            <Text key={label} size="xs">
              {label}: {formatDateTime(at)}
            </Text>
          ))}
        </Stack>
      }
    >
      <Text size="xs" c="dimmed" tabIndex={0} style={{ cursor: 'help' }}>
        {moment.label} {relativeTime(moment.at, now)}
      </Text>
    </Tooltip>
  );
}
