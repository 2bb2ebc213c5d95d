import { Text, Tooltip, type TextProps } from '@mantine/core';
import { formatDateTime, relativeTime } from '../lib/format';

export interface RelativeTimeProps extends TextProps {
  /** An ISO date-time. */
  value: string;
  /** What the time is of, before it: "Enrolled" → "Enrolled 3 minutes ago". */
  prefix?: string;
  /** Date.now() of the caller's clock (useNow), so a list's times move together. */
  now?: number;
}

/** "3 minutes ago", with the exact date and time in a tooltip and in a <time> element. */
export function RelativeTime({ value, prefix, now, ...props }: RelativeTimeProps) {
  const exact = formatDateTime(value);
  return (
    <Tooltip label={prefix ? `${prefix} ${exact}` : exact} withArrow events={{ hover: true, focus: true, touch: true }}>
      <Text component="time" dateTime={value} tabIndex={0} style={{ cursor: 'help' }} {...props}>
        {prefix ? `${prefix} ` : ''}
        {relativeTime(value, now)}
      </Text>
    </Tooltip>
  );
}
