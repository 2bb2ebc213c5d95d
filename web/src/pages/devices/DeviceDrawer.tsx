import { Alert, Anchor, DataList, Drawer, Group, Skeleton, Stack, Text, Title } from '@mantine/core';
import { IconAlertCircle, IconDeviceMobileOff } from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { isApiError, type Device } from '../../api';
import { QueryErrorAlert } from '../../components/QueryErrorAlert';
import { formatDateTime } from '../../lib/format';
import { useHideAppBehindDialog } from '../../lib/useHideAppBehindDialog';
import { useDevice } from '../../queries/devices';
import { EnrollmentStateBadge, ProfileStatusBadge } from './DeviceBadges';
import { ASSIGN_STATUS_LABEL, assignmentNote, enrollmentStateInfo } from './deviceStatus';

export interface DeviceDrawerProps {
  /** The device shown; null when closed. */
  serialNumber: string | null;
  /** The row's copy, shown at once while the current one loads. */
  fromList?: Device;
  onClose: () => void;
}

/** Every fact Orchard has about one device. */
export function DeviceDrawer({ serialNumber, fromList, onClose }: DeviceDrawerProps) {
  const opened = Boolean(serialNumber);
  useHideAppBehindDialog(opened);
  return (
    <Drawer
      opened={opened}
      onClose={onClose}
      position="right"
      size="lg"
      title={serialNumber ? `Device ${serialNumber}` : 'Device'}
      closeButtonProps={{ 'aria-label': 'Close device details' }}
      styles={{ title: { fontWeight: 600, fontSize: 'var(--mantine-font-size-lg)' } }}
    >
      {serialNumber ? <DeviceDetails serialNumber={serialNumber} fromList={fromList} /> : null}
    </Drawer>
  );
}

function DeviceDetails({ serialNumber, fromList }: { serialNumber: string; fromList?: Device }) {
  const query = useDevice(serialNumber, fromList);
  const device = query.data;

  if (!device) {
    if (query.isError) {
      if (isApiError(query.error) && query.error.status === 404) {
        return (
          <Alert color="gray" variant="light" icon={<IconDeviceMobileOff size={18} />} title="Device not found">
            Orchard has no device with serial number {serialNumber}. It may have been removed, or the link is wrong.
          </Alert>
        );
      }
      return (
        <QueryErrorAlert
          title="Could not load the device"
          error={query.error}
          onRetry={() => void query.refetch()}
          retrying={query.isRefetching}
        />
      );
    }
    return (
      <Stack gap="sm" aria-busy="true" aria-label="Loading device">
        {Array.from({ length: 8 }, (_, index) => (
          <Skeleton key={index} height={16} radius="sm" />
        ))}
      </Stack>
    );
  }
  return <DeviceFacts device={device} />;
}

const dash = (
  <Text span size="sm" c="dimmed">
    —
  </Text>
);

function value(text: string | null | undefined, options: { mono?: boolean } = {}): ReactNode {
  if (!text) return dash;
  return (
    <Text span size="sm" ff={options.mono ? 'monospace' : undefined} style={{ overflowWrap: 'anywhere' }}>
      {text}
    </Text>
  );
}

function date(text: string | null | undefined): ReactNode {
  return text ? value(formatDateTime(text)) : dash;
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Stack gap="xs" component="section">
      <Title order={4} fz="sm" tt="uppercase" c="dimmed" fw={600}>
        {title}
      </Title>
      <DataList labelWidth={170} gap="xs" size="sm">
        {children}
      </DataList>
    </Stack>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <DataList.Item>
      <DataList.ItemLabel>{label}</DataList.ItemLabel>
      <DataList.ItemValue>{children}</DataList.ItemValue>
    </DataList.Item>
  );
}

function DeviceFacts({ device }: { device: Device }) {
  const note = assignmentNote(device);
  const state = enrollmentStateInfo(device.enrollmentState);
  return (
    <Stack gap="lg">
      {note?.tone === 'problem' ? (
        <Alert color="red" variant="light" icon={<IconAlertCircle size={18} />} title="Enrollment profile not assigned">
          {note.text}
        </Alert>
      ) : null}

      <Section title="Device">
        <Fact label="Serial number">{value(device.serialNumber, { mono: true })}</Fact>
        <Fact label="Model">{value(device.model)}</Fact>
        <Fact label="Description">{value(device.description)}</Fact>
        <Fact label="Color">{value(device.color)}</Fact>
        <Fact label="OS">{value(device.os)}</Fact>
        <Fact label="Device family">{value(device.deviceFamily)}</Fact>
        <Fact label="Asset tag">{value(device.assetTag)}</Fact>
      </Section>

      <Section title="Belongs to">
        <Fact label="Customer">
          <Anchor component={Link} to={`/customers/${encodeURIComponent(device.customerId)}`} size="sm">
            {device.customerName}
          </Anchor>
        </Fact>
        <Fact label="Site">{value(device.siteName)}</Fact>
        <Fact label="ABM token">{value(device.serverName)}</Fact>
      </Section>

      <Section title="Enrollment profile">
        <Fact label="Profile status">
          <Group gap={6}>
            <ProfileStatusBadge device={device} />
          </Group>
        </Fact>
        <Fact label="Orchard’s assignment">
          {device.profileAssignStatus
            ? value(ASSIGN_STATUS_LABEL[device.profileAssignStatus] ?? device.profileAssignStatus)
            : dash}
        </Fact>
        {device.profileAssignError ? (
          <Fact label="Assignment error">
            <Text span size="sm" c="red.7" style={{ overflowWrap: 'anywhere' }}>
              {device.profileAssignError}
            </Text>
          </Fact>
        ) : null}
        <Fact label="Profile UUID">{value(device.profileUuid, { mono: true })}</Fact>
        <Fact label="Assigned">{date(device.assignedAt)}</Fact>
        <Fact label="Assigned by">{value(device.assignedBy)}</Fact>
      </Section>

      <Section title="Enrollment">
        <Fact label="Enrollment state">
          <EnrollmentStateBadge device={device} />
        </Fact>
        <Fact label="Enrolled">{date(device.enrolledAt)}</Fact>
        <Fact label="Removed from ABM">{date(device.removedAt)}</Fact>
        <Fact label="UDID">{value(device.udid, { mono: true })}</Fact>
        <Fact label="Last updated">{date(device.updatedAt)}</Fact>
      </Section>

      {state.hint ? (
        <Text size="xs" c="dimmed">
          {state.label}: {state.hint}
        </Text>
      ) : null}
    </Stack>
  );
}
