/**
 * Setup Assistant panes a DEP profile can skip: Apple's keys (skip_setup_items) with the names
 * people know them by. Keys Apple adds later still round-trip: the form shows them by key.
 */
export const SETUP_PANES: readonly { key: string; label: string }[] = [
  { key: 'Accessibility', label: 'Accessibility' },
  { key: 'AppleID', label: 'Apple Account' },
  { key: 'Biometric', label: 'Touch ID / Face ID' },
  { key: 'Diagnostics', label: 'Diagnostics' },
  { key: 'DisplayTone', label: 'True Tone' },
  { key: 'FileVault', label: 'FileVault' },
  { key: 'iCloudDiagnostics', label: 'iCloud Analytics' },
  { key: 'iCloudStorage', label: 'iCloud Storage' },
  { key: 'Location', label: 'Location Services' },
  { key: 'Passcode', label: 'Passcode' },
  { key: 'Payment', label: 'Apple Pay' },
  { key: 'Privacy', label: 'Privacy' },
  { key: 'Restore', label: 'Restore from backup' },
  { key: 'ScreenTime', label: 'Screen Time' },
  { key: 'Siri', label: 'Siri' },
  { key: 'TOS', label: 'Terms and conditions' },
  { key: 'Appearance', label: 'Appearance' },
  { key: 'SoftwareUpdate', label: 'Software Update' },
  { key: 'Welcome', label: 'Welcome' },
  { key: 'Zoom', label: 'Zoom' },
  { key: 'Keyboard', label: 'Keyboard' },
  { key: 'Android', label: 'Move from Android' },
  { key: 'WatchMigration', label: 'Watch Migration' },
  { key: 'PreferredLanguage', label: 'Language' },
  { key: 'Region', label: 'Region' },
  { key: 'Security', label: 'Security' },
  { key: 'UnlockWithWatch', label: 'Unlock with Apple Watch' },
  { key: 'TermsOfAddress', label: 'Terms of Address' },
  { key: 'Wallpaper', label: 'Wallpaper' },
  { key: 'Intelligence', label: 'Apple Intelligence' },
];

/** Options for the MultiSelect: the known panes, plus any other keys the saved profile has. */
export function setupPaneOptions(selected: readonly string[]): { value: string; label: string }[] {
  const known = SETUP_PANES.map((pane) => ({ value: pane.key, label: pane.label }));
  const extra = selected
    .filter((key) => !SETUP_PANES.some((pane) => pane.key === key))
    .map((key) => ({ value: key, label: key }));
  return [...known, ...extra];
}
