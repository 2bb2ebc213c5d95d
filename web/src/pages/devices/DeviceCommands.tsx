import { Alert, Badge, Code, List, Skeleton, Stack, Table, Text, Tooltip } from '@mantine/core';
import { IconTerminal2 } from '@tabler/icons-react';
import { Fragment } from 'react';
import type { CommandErrorChainItem, DeviceCommand } from '../../api';
import { QueryErrorAlert } from '../../components/QueryErrorAlert';
import { RelativeTime } from '../../components/RelativeTime';
import { useNow } from '../../lib/useNow';
import { DEVICE_HISTORY_LIMIT, useDeviceCommands } from '../../queries/devices';
import { REQUEST_TYPE_MEANING, commandStatusInfo } from './deviceHistory';

export interface DeviceCommandsProps {
  serialNumber: string;
  /** Poll quickly: the device is enrolling right now. */
  busy: boolean;
}

const TOOLTIP_EVENTS = { hover: true, focus: true, touch: true };

/** The MDM commands Orchard queued for the device, newest first, with the device's answers. */
export function DeviceCommands({ serialNumber, busy }: DeviceCommandsProps) {
  const query = useDeviceCommands(serialNumber, { busy });
  const now = useNow();

  if (query.isPending) {
    return (
      <Stack gap="sm" aria-busy="true" aria-label="Loading commands">
        {Array.from({ length: 3 }, (_, index) => (
          <Skeleton key={index} height={28} radius="sm" />
        ))}
      </Stack>
    );
  }
  if (query.isError) {
    return (
      <QueryErrorAlert
        title="Could not load the device’s commands"
        error={query.error}
        onRetry={() => void query.refetch()}
        retrying={query.isRefetching}
      />
    );
  }
  const commands = query.data;
  if (commands.length === 0) {
    return (
      <Alert color="gray" variant="light" icon={<IconTerminal2 size={18} />} title="No commands yet">
        Orchard queues its first commands (DeviceInformation, then DeviceConfigured) when the device enrolls.
      </Alert>
    );
  }
  return (
    <Stack gap="xs">
      <Table verticalSpacing={6} horizontalSpacing="xs" aria-label="Commands">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Command</Table.Th>
            <Table.Th w={130}>Status</Table.Th>
            <Table.Th w={130}>Queued</Table.Th>
            <Table.Th w={130}>Answered</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {commands.map((command) => (
            <CommandRows key={command.commandUuid} command={command} now={now} />
          ))}
        </Table.Tbody>
      </Table>
      {commands.length >= DEVICE_HISTORY_LIMIT ? (
        <Text size="xs" c="dimmed">
          The latest {DEVICE_HISTORY_LIMIT} commands; older ones are not shown.
        </Text>
      ) : null}
    </Stack>
  );
}

function CommandRows({ command, now }: { command: DeviceCommand; now: number }) {
  const status = commandStatusInfo(command.status);
  const meaning = REQUEST_TYPE_MEANING[command.requestType];
  const errors = command.errorChain ?? [];
  return (
    <Fragment>
      <Table.Tr style={errors.length > 0 ? { borderBottom: 'none' } : undefined}>
        <Table.Td>
          <Stack gap={0}>
            <Tooltip label={`Command UUID ${command.commandUuid}`} withArrow events={TOOLTIP_EVENTS}>
              <Text size="sm" fw={500} tabIndex={0} style={{ overflowWrap: 'anywhere', cursor: 'help' }}>
                {command.requestType}
              </Text>
            </Tooltip>
            {meaning ? (
              <Text size="xs" c="dimmed">
                {meaning}
              </Text>
            ) : null}
          </Stack>
        </Table.Td>
        <Table.Td>
          <Tooltip label={status.hint} disabled={!status.hint} multiline w={280} withArrow events={TOOLTIP_EVENTS}>
            <Badge
              color={status.color}
              variant="light"
              radius="sm"
              tt="none"
              tabIndex={status.hint ? 0 : undefined}
              style={{ cursor: status.hint ? 'help' : undefined, overflow: 'visible' }}
              styles={{ label: { overflow: 'visible' } }}
            >
              {status.label}
            </Badge>
          </Tooltip>
        </Table.Td>
        <Table.Td>
          <Stack gap={0}>
            <RelativeTime value={command.queuedAt} now={now} size="xs" />
            <Text size="xs" c="dimmed">
              by {command.queuedBy === 'orchard' ? 'Orchard' : command.queuedBy}
            </Text>
          </Stack>
        </Table.Td>
        <Table.Td>
          {command.answeredAt ? (
            <RelativeTime value={command.answeredAt} now={now} size="xs" />
          ) : command.sentAt ? (
            <RelativeTime value={command.sentAt} prefix="Sent" now={now} size="xs" c="dimmed" />
          ) : (
            <Text size="xs" c="dimmed">
              —
            </Text>
          )}
        </Table.Td>
      </Table.Tr>
      {errors.length > 0 ? (
        <Table.Tr>
          <Table.Td colSpan={4} pt={0}>
            <ErrorChain items={errors} />
          </Table.Td>
        </Table.Tr>
      ) : null}
    </Fragment>
  );
}

/** Apple's ErrorChain: the outermost error first, each with its domain and code. */
function ErrorChain({ items }: { items: CommandErrorChainItem[] }) {
  return (
    <Stack gap={4} bg="red.0" p="xs" style={{ borderRadius: 'var(--mantine-radius-sm)' }}>
      <Text size="xs" fw={600} c="red.9">
        The device answered with an error
      </Text>
      <List size="xs" spacing={2} c="red.9" aria-label="Error chain">
        {items.map((item, index) => (
          <List.Item key={index}>
            {item.description ?? 'No description'}
            {item.domain || item.code !== null ? (
              <>
                {' '}
                <Code fz={11} bg="transparent" c="red.9">
                  {[item.domain, item.code].filter((part) => part !== null && part !== '').join(' ')}
                </Code>
              </>
            ) : null}
          </List.Item>
        ))}
      </List>
    </Stack>
  );
}
