import { Badge, Tooltip } from '@mantine/core';
import type { AbmToken } from '../../api';
import { tokenStatusInfo } from './tokenStatus';

/** The token's status; its tooltip says why and what to do (the server's statusDetail when it gave one). */
export function AbmTokenStatusBadge({ token }: { token: AbmToken }) {
  const info = tokenStatusInfo(token.status);
  const detail = token.statusDetail?.trim() || info.hint;
  const badge = (
    <Badge
      color={info.color}
      variant="light"
      radius="sm"
      tt="none"
      tabIndex={detail ? 0 : undefined}
      style={{ cursor: detail ? 'help' : undefined, overflow: 'visible' }}
      styles={{ label: { overflow: 'visible' } }}
    >
      {info.label}
    </Badge>
  );
  if (!detail) return badge;
  return (
    <Tooltip label={detail} multiline w={300} withArrow events={{ hover: true, focus: true, touch: true }}>
      {badge}
    </Tooltip>
  );
}
