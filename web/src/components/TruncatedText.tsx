import { Text, Tooltip, type TextProps } from '@mantine/core';
import { useLayoutEffect, useRef, useState, type ReactNode } from 'react';

export interface TruncatedTextProps extends TextProps {
  children: string;
  /** What the tooltip says; the full text unless given. */
  tooltip?: ReactNode;
  /** Show the tooltip even when the text fits (when it says more than the text). */
  alwaysTooltip?: boolean;
}

const EVENTS = { hover: true, focus: true, touch: true };

/**
 * One line cut with an ellipsis to fit its column; hovering or focusing it shows the whole
 * text. The tooltip is there only while the text is cut (measured whenever its box resizes), so
 * it never repeats a text that is fully visible.
 */
export function TruncatedText({ children, tooltip, alwaysTooltip = false, ...props }: TruncatedTextProps) {
  const ref = useRef<HTMLParagraphElement>(null);
  const [cut, setCut] = useState(false);
  useLayoutEffect(() => {
    const element = ref.current;
    if (!element) return;
    const measure = () => setCut(element.scrollWidth > element.clientWidth + 1);
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, [children]);
  const enabled = alwaysTooltip || cut;
  return (
    <Tooltip label={tooltip ?? children} disabled={!enabled} multiline maw={360} withArrow events={EVENTS}>
      <Text ref={ref} truncate="end" tabIndex={enabled ? 0 : undefined} {...props}>
        {children}
      </Text>
    </Tooltip>
  );
}
