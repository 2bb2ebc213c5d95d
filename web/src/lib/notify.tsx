import { notifications } from '@mantine/notifications';
import { IconCheck, IconX } from '@tabler/icons-react';
import { errorMessage } from '../api';

export function notifySuccess(title: string, message?: string): void {
  notifications.show({
    title,
    message: message ?? '',
    color: 'green',
    icon: <IconCheck size={18} stroke={2} />,
    autoClose: 3500,
  });
}

export function notifyError(title: string, error: unknown): void {
  notifications.show({
    title,
    message: errorMessage(error),
    color: 'red',
    icon: <IconX size={18} stroke={2} />,
    autoClose: 8000,
  });
}
