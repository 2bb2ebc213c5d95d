import { Alert, List, Text } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import type { AbmToken } from '../../api';
import { plural } from '../../lib/format';

/** Above the table when tokens need a person: how many, and what to do about each kind. */
export function AbmTokensBanner({ tokens }: { tokens: AbmToken[] }) {
  const count = (status: string) => tokens.filter((token) => token.status === status).length;
  const expiring = count('expiring_soon');
  const expired = count('expired');
  const terms = count('terms_not_accepted');
  const rejected = count('rejected');
  const total = expiring + expired + terms + rejected;
  if (total === 0) return null;

  const severe = expired + rejected > 0;
  const items: string[] = [];
  if (expiring) {
    items.push(
      `${plural(expiring, 'token')} ${expiring === 1 ? 'expires' : 'expire'} within 30 days. Renew ${expiring === 1 ? 'it' : 'them'} before then: in the row’s actions choose Renew, download a new token for the MDM server in Apple Business Manager and upload it.`,
    );
  }
  if (expired) {
    items.push(
      `${plural(expired, 'token')} ${expired === 1 ? 'has' : 'have'} expired, so Orchard no longer syncs ${expired === 1 ? 'its' : 'their'} devices. Choose Renew and upload a new token from Apple Business Manager.`,
    );
  }
  if (terms) {
    items.push(
      `${plural(terms, 'token')} ${terms === 1 ? 'is' : 'are'} blocked because Apple changed its terms and conditions. An administrator of the customer’s Apple Business Manager account must sign in to Apple Business Manager and accept the new terms; syncing resumes afterwards.`,
    );
  }
  if (rejected) {
    items.push(
      `${plural(rejected, 'token')} ${rejected === 1 ? 'was' : 'were'} rejected by Apple (revoked, or replaced by a newer token downloaded in Apple Business Manager). Choose Renew and upload the newest token, or delete ${rejected === 1 ? 'it' : 'them'}.`,
    );
  }

  return (
    <Alert
      color={severe ? 'red' : 'yellow'}
      variant="light"
      icon={<IconAlertTriangle size={18} />}
      title={`${plural(total, 'ABM token')} ${total === 1 ? 'needs' : 'need'} attention`}
    >
      {items.length === 1 ? (
        <Text size="sm">{items[0]}</Text>
      ) : (
        <List size="sm" spacing={4}>
          {items.map((item) => (
            <List.Item key={item}>{item}</List.Item>
          ))}
        </List>
      )}
    </Alert>
  );
}
