import { Box, LoadingOverlay } from '@mantine/core';
import { useRef, useState, type DragEvent, type KeyboardEvent, type ReactNode } from 'react';

/**
 * A box that takes one file by drag and drop or by the system file picker.
 *
 * Written here rather than taken from @mantine/dropzone: since 9.6 that package (and the
 * react-dropzone it wraps) declares Node.js ≥ 22, so `npm ci` warned on Node 20, which
 * Orchard still supports, for a component this small.
 */
export type DropState = 'idle' | 'accept' | 'reject';

export type DropRejection = { reason: 'too-many-files' } | { reason: 'too-large'; file: File };

export interface FileDropZoneProps {
  onFile: (file: File) => void;
  onReject: (rejection: DropRejection) => void;
  maxSize: number;
  loading?: boolean;
  /** Names the hidden file input for assistive technology and tests. */
  inputLabel: string;
  /** Gets a function that opens the file picker, for a "browse" link inside the box. */
  openRef?: { current: (() => void) | null };
  children: (state: DropState) => ReactNode;
}

/** What a drag carries can be counted (not read) before the drop. */
function draggedCount(event: DragEvent): number {
  return Array.from(event.dataTransfer.items).filter((item) => item.kind === 'file').length;
}

export function FileDropZone({
  onFile,
  onReject,
  maxSize,
  loading = false,
  inputLabel,
  openRef,
  children,
}: FileDropZoneProps) {
  const input = useRef<HTMLInputElement>(null);
  const [state, setState] = useState<DropState>('idle');
  // dragenter/dragleave fire for every child the pointer crosses: count them so the state
  // goes back to idle only when the pointer leaves the box itself.
  const depth = useRef(0);

  const open = () => {
    if (!loading) input.current?.click();
  };
  if (openRef) openRef.current = open;

  function take(files: File[]) {
    const [first] = files;
    if (!first) return;
    if (files.length > 1) onReject({ reason: 'too-many-files' });
    else if (first.size > maxSize) onReject({ reason: 'too-large', file: first });
    else onFile(first);
  }

  function onDragEnter(event: DragEvent) {
    event.preventDefault();
    depth.current += 1;
    setState(draggedCount(event) > 1 ? 'reject' : 'accept');
  }

  function onDragLeave(event: DragEvent) {
    event.preventDefault();
    depth.current = Math.max(0, depth.current - 1);
    if (depth.current === 0) setState('idle');
  }

  function onDrop(event: DragEvent) {
    event.preventDefault();
    depth.current = 0;
    setState('idle');
    if (!loading) take(Array.from(event.dataTransfer.files));
  }

  function onKeyDown(event: KeyboardEvent) {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      open();
    }
  }

  const borderColor =
    state === 'accept'
      ? 'var(--mantine-color-green-6)'
      : state === 'reject'
        ? 'var(--mantine-color-red-6)'
        : 'var(--mantine-color-default-border)';

  return (
    <Box
      role="button"
      tabIndex={0}
      aria-disabled={loading}
      onClick={open}
      onKeyDown={onKeyDown}
      onDragEnter={onDragEnter}
      onDragOver={(event) => event.preventDefault()}
      onDragLeave={onDragLeave}
      onDrop={onDrop}
      pos="relative"
      p="xl"
      style={{
        border: `2px dashed ${borderColor}`,
        borderRadius: 'var(--mantine-radius-md)',
        cursor: loading ? 'default' : 'pointer',
      }}
    >
      <LoadingOverlay visible={loading} />
      <input
        ref={input}
        type="file"
        hidden
        aria-label={inputLabel}
        // The click that opens the picker must not bubble back to the box and open it again.
        onClick={(event) => event.stopPropagation()}
        onChange={(event) => {
          take(Array.from(event.currentTarget.files ?? []));
          // Choosing the same file again after removing it must fire change again.
          event.currentTarget.value = '';
        }}
      />
      {children(state)}
    </Box>
  );
}
