import { Alert, Anchor, Badge, DataList, Drawer, Group, Skeleton, Stack, Tabs, Text, Title } from '@mantine/core';
import { IconAlertCircle, IconDeviceMobileOff } from '@tabler/icons-react';
import { useState, type ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { isApiError, type Device } from '../../api';
import { QueryErrorAlert } from '../../components/QueryErrorAlert';
import { RelativeTime } from '../../components/RelativeTime';
import { formatDateTime, plural } from '../../lib/format';
import { useHideAppBehindDialog } from '../../lib/useHideAppBehindDialog';
import { useNow } from '../../lib/useNow';
import { isEnrolling, useDevice, useEnrollmentEvents } from '../../queries/devices';
import { DeviceCommands } from './DeviceCommands';
import { EnrollmentStateBadge, ProfileStatusBadge } from './DeviceBadges';
import { DeviceTimeline } from './DeviceTimeline';
import { eventKindInfo, isRefusal } from './deviceHistory';
import {
  ASSIGN_STATUS_LABEL,
  assignmentNote,
  deviceTitleLines,
  enrollmentMoment,
  enrollmentStateInfo,
  osBuildLabel,
} from './deviceStatus';

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
      <DataList labelWidth={210} gap="xs" size="sm">
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

type DrawerTab = 'overview' | 'timeline' | 'commands';

/** Overview, enrollment timeline and commands; each tab loads when first opened. */
function DeviceFacts({ device }: { device: Device }) {
  const [tab, setTab] = useState<DrawerTab>('overview');
  const busy = isEnrolling(device);
  // Loaded at once (the timeline tab shares it): a refusal is worth saying before anyone looks.
  const events = useEnrollmentEvents(device.serialNumber, { busy });
  const refusals = events.data?.filter(isRefusal).length ?? 0;
  const latest = events.data?.[0];
  const stuck = latest && isRefusal(latest) && device.enrollmentState !== 'enrolled' ? latest : null;
  return (
    <Stack gap="md">
      <DeviceHeading device={device} />
      {stuck ? (
        <Alert color="red" variant="light" icon={<IconAlertCircle size={18} />} title={`${eventKindInfo(stuck).label}`}>
          <Stack gap={6} align="flex-start">
            <Text size="sm">{stuck.detail ?? 'Orchard recorded no reason.'}</Text>
            {tab !== 'timeline' ? (
              <Anchor component="button" type="button" size="sm" onClick={() => setTab('timeline')}>
                Show the enrollment timeline
              </Anchor>
            ) : null}
          </Stack>
        </Alert>
      ) : null}
      <Tabs value={tab} onChange={(next) => setTab((next as DrawerTab | null) ?? 'overview')} keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="overview">Overview</Tabs.Tab>
          <Tabs.Tab
            value="timeline"
            rightSection={
              refusals > 0 ? (
                <Badge size="xs" color="red" variant="filled" circle aria-label={`${plural(refusals, 'refusal')}`}>
                  {refusals}
                </Badge>
              ) : null
            }
          >
            Enrollment timeline
          </Tabs.Tab>
          <Tabs.Tab value="commands">Commands</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="overview" pt="md">
          <DeviceOverview device={device} />
        </Tabs.Panel>
        <Tabs.Panel value="timeline" pt="md">
          <DeviceTimeline serialNumber={device.serialNumber} busy={busy} />
        </Tabs.Panel>
        <Tabs.Panel value="commands" pt="md">
          <DeviceCommands serialNumber={device.serialNumber} busy={busy} />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

/** The name the device reported (or Apple's model), its model and OS, and its state at a glance. */
function DeviceHeading({ device }: { device: Device }) {
  const title = deviceTitleLines(device);
  const moment = enrollmentMoment(device);
  const now = useNow();
  return (
    <Stack gap={6}>
      <Text fw={600} size="lg" style={{ overflowWrap: 'anywhere' }}>
        {title.title}
      </Text>
      {title.details ? (
        <Text size="sm" c="dimmed">
          {title.details}
        </Text>
      ) : null}
      <Group gap="xs">
        <EnrollmentStateBadge device={device} />
        {moment ? <RelativeTime value={moment.at} prefix={moment.label} now={now} size="sm" c="dimmed" /> : null}
      </Group>
    </Stack>
  );
}

function DeviceOverview({ device }: { device: Device }) {
  const note = assignmentNote(device);
  const state = enrollmentStateInfo(device.enrollmentState);
  const now = useNow();
  const reported = [device.deviceName, device.osVersion, device.modelName, device.productName, device.udid].some(
    Boolean,
  );
  return (
    <Stack gap="lg">
      {note?.tone === 'problem' ? (
        <Alert color="red" variant="light" icon={<IconAlertCircle size={18} />} title="Enrollment profile not assigned">
          {note.text}
        </Alert>
      ) : null}

      <Section title="Reported by the device">
        {reported ? (
          <>
            <Fact label="Name">{value(device.deviceName)}</Fact>
            <Fact label="OS and build">{value(osBuildLabel(device))}</Fact>
            <Fact label="Model name">{value(device.modelName)}</Fact>
            <Fact label="Product">{value(device.productName, { mono: true })}</Fact>
            <Fact label="UDID">{value(device.udid, { mono: true })}</Fact>
            <Fact label="Last seen">
              {device.lastSeenAt ? <RelativeTime value={device.lastSeenAt} now={now} size="sm" /> : dash}
            </Fact>
          </>
        ) : (
          <Text size="sm" c="dimmed">
            Nothing yet. The device reports its name, OS, model and UDID when it enrolls.
          </Text>
        )}
      </Section>

      <Section title="Enrollment">
        <Fact label="Enrollment state">
          <EnrollmentStateBadge device={device} />
        </Fact>
        <Fact label="Enrolled">{date(device.enrolledAt)}</Fact>
        <Fact label="Released from Setup Assistant">{date(device.setupReleasedAt)}</Fact>
        <Fact label="Removed from ABM">{date(device.removedAt)}</Fact>
        <Fact label="Last updated">{date(device.updatedAt)}</Fact>
      </Section>

      <Section title="Apple Business Manager">
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
          {device.customerId && device.customerName ? (
            <Anchor component={Link} to={`/customers/${encodeURIComponent(device.customerId)}`} size="sm">
              {device.customerName}
            </Anchor>
          ) : (
            dash
          )}
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

      {state.hint ? (
        <Text size="xs" c="dimmed">
          {state.label}: {state.hint}
        </Text>
      ) : null}
    </Stack>
  );
}
