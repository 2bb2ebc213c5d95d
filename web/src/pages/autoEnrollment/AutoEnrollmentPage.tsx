import { Button, Paper, Stack, Tabs } from '@mantine/core';
import { IconBrandApple, IconDeviceLaptop, IconPlus } from '@tabler/icons-react';
import { useCallback, useEffect } from 'react';
import { useLocation, useNavigate, useSearchParams } from 'react-router-dom';
import type { AbmToken, AbmTokenFilters } from '../../api';
import { usePermissions } from '../../auth/permissions';
import { PageHeader } from '../../components/PageHeader';
import { formatDate } from '../../lib/format';
import { notifySuccess } from '../../lib/notify';
import { DEVICE_DRAWER_PARAM } from '../devices/deviceFilters';
import { DevicesView } from '../devices/DevicesView';
import { AbmTokensTab } from './AbmTokensTab';
import { AbmTokenWizard } from './wizard/AbmTokenWizard';
import { readWizard, writeWizard, type WizardState } from './wizard/wizardState';

/** How long a just-added or renewed row stays highlighted. */
const HIGHLIGHT_MS = 4000;

type Tab = 'abm' | 'devices';

/**
 * Device Management for Apple › Auto-Enrollment. The URL carries the tab (`tab=devices`), the
 * filters (customerId, siteId, and the Devices tab's own), the wizard's state and the row to
 * highlight, so every view can be reloaded or shared.
 */
export function AutoEnrollmentPage() {
  const [params, setParams] = useSearchParams();
  const wizard = readWizard(params);
  const filters: AbmTokenFilters = {
    customerId: params.get('customerId') || undefined,
    siteId: params.get('customerId') ? params.get('siteId') || undefined : undefined,
  };
  const highlightId = params.get('highlight');
  const tab: Tab = params.get('tab') === 'devices' ? 'devices' : 'abm';
  const location = useLocation();
  const navigate = useNavigate();
  const { canWrite } = usePermissions();
  const openedHere = (location.state as { wizardOpenedHere?: boolean } | null)?.wizardOpenedHere === true;

  /** Opening adds a history entry (so the browser's Back closes the wizard); moving between steps does not. */
  const setWizard = useCallback(
    (state: WizardState | null, replace: boolean) =>
      setParams((current) => writeWizard(current, state), {
        replace,
        state: state ? { wizardOpenedHere: replace ? openedHere : true } : null,
      }),
    [setParams, openedHere],
  );

  function closeWizard() {
    // Back to the entry the wizard was opened from, rather than leaving a duplicate of it in the history.
    if (openedHere) navigate(-1);
    else setWizard(null, true);
  }

  const setFilters = (next: AbmTokenFilters) =>
    setParams(
      (current) => {
        const updated = new URLSearchParams(current);
        updated.delete('customerId');
        updated.delete('siteId');
        if (next.customerId) updated.set('customerId', next.customerId);
        if (next.customerId && next.siteId) updated.set('siteId', next.siteId);
        return updated;
      },
      { replace: true },
    );

  useEffect(() => {
    if (!highlightId) return;
    const timer = window.setTimeout(
      () =>
        setParams(
          (current) => {
            const updated = new URLSearchParams(current);
            updated.delete('highlight');
            return updated;
          },
          { replace: true },
        ),
      HIGHLIGHT_MS,
    );
    return () => window.clearTimeout(timer);
  }, [highlightId, setParams]);

  function handleDone(token: AbmToken, outcome: { renewed: boolean; pendingLeft: AbmToken | null }) {
    setParams(
      (current) => {
        const updated = writeWizard(current, null);
        // Keep the filters only if the token is listed under them.
        const customerId = updated.get('customerId');
        const siteId = updated.get('siteId');
        if ((customerId && customerId !== token.customerId) || (siteId && siteId !== token.siteId)) {
          updated.delete('customerId');
          updated.delete('siteId');
        }
        updated.set('highlight', token.id);
        // The new or renewed token is shown on the Apple Business Manager tab.
        updated.delete('tab');
        updated.delete(DEVICE_DRAWER_PARAM);
        return updated;
      },
      { replace: true },
    );
    const name = token.serverName ?? 'The MDM server';
    if (outcome.renewed) {
      const expiry = token.expiresAt ? ` It now expires on ${formatDate(token.expiresAt)}.` : '';
      const pending = outcome.pendingLeft
        ? ' The pending token you started is still listed as Awaiting token; delete it if you do not need it.'
        : '';
      notifySuccess('ABM token renewed', `${name} is renewed.${expiry}${pending}`);
    } else {
      notifySuccess(
        'ABM token added',
        `${name} is connected to ${token.customerName} › ${token.siteName}. Its devices appear there as they sync.`,
      );
    }
  }

  /** Switching tabs is a history entry; the customer and site filters stay. */
  function setTab(next: Tab) {
    if (next === tab) return;
    setParams((current) => {
      const updated = writeWizard(current, null);
      updated.delete('highlight');
      updated.delete(DEVICE_DRAWER_PARAM);
      if (next === 'devices') updated.set('tab', 'devices');
      else updated.delete('tab');
      return updated;
    });
  }

  /** All of one token's devices: the Devices tab filtered by it (within the customer and site it is listed under). */
  function devicesHref(token: AbmToken): string {
    const updated = writeWizard(params, null);
    for (const name of ['highlight', DEVICE_DRAWER_PARAM, 'enrollmentState', 'profileStatus', 'q'])
      updated.delete(name);
    updated.set('tab', 'devices');
    updated.set('abmTokenId', token.id);
    return `?${updated.toString()}`;
  }

  const openAdd = () => setWizard({ mode: 'add', step: 'site', tokenId: null, renewId: null }, false);

  return (
    <Stack gap="lg" maw={1400}>
      <PageHeader
        title="Auto-Enrollment"
        description="Connect your customers' Apple Business Manager accounts so their new devices enroll in Orchard automatically."
        actions={
          canWrite ? (
            <Button leftSection={<IconPlus size={16} />} onClick={openAdd}>
              Add ABM token
            </Button>
          ) : null
        }
      />
      <Paper withBorder radius="md">
        <Tabs value={tab} onChange={(value) => setTab(value === 'devices' ? 'devices' : 'abm')} keepMounted={false}>
          <Tabs.List px="md" pt="xs">
            <Tabs.Tab value="abm" leftSection={<IconBrandApple size={16} stroke={1.6} />}>
              Apple Business Manager
            </Tabs.Tab>
            <Tabs.Tab value="devices" leftSection={<IconDeviceLaptop size={16} stroke={1.6} />}>
              Devices
            </Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="abm">
            <AbmTokensTab
              filters={filters}
              onFiltersChange={setFilters}
              highlightId={highlightId}
              onAdd={canWrite ? openAdd : undefined}
              onContinueSetup={(token) =>
                setWizard({ mode: 'add', step: 'key', tokenId: token.id, renewId: null }, false)
              }
              onRenew={(token) =>
                setWizard({ mode: 'renew', step: 'key', tokenId: token.id, renewId: token.id }, false)
              }
              devicesHref={devicesHref}
            />
          </Tabs.Panel>
          <Tabs.Panel value="devices">
            <DevicesView />
          </Tabs.Panel>
        </Tabs>
      </Paper>

      {/* A read-only user following an /add link gets the list, not a wizard the server would refuse. */}
      {wizard && canWrite ? (
        <AbmTokenWizard
          key={`${wizard.mode}:${wizard.mode === 'renew' ? wizard.tokenId : ''}`}
          state={wizard}
          defaultCustomerId={filters.customerId ?? null}
          defaultSiteId={filters.siteId ?? null}
          onStateChange={(state) => setWizard(state, true)}
          onClose={closeWizard}
          onDone={handleDone}
        />
      ) : null}
    </Stack>
  );
}
