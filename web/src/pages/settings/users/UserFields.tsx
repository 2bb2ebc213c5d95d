import { Radio, Stack } from '@mantine/core';
import type { UserRole } from '../../../api';
import { ROLE_DESCRIPTIONS, ROLES, roleLabel } from '../../../auth/roles';
import { CustomerMultiSelect } from '../../../components/CustomerMultiSelect';

export function RoleField({ value, onChange }: { value: UserRole; onChange: (role: UserRole) => void }) {
  return (
    <Radio.Group label="Role" value={value} onChange={(next) => onChange(ROLES.find((role) => role === next) ?? value)}>
      <Stack gap="xs" mt={6}>
        {ROLES.map((role) => (
          <Radio key={role} value={role} label={roleLabel(role)} description={ROLE_DESCRIPTIONS[role]} />
        ))}
      </Stack>
    </Radio.Group>
  );
}

export interface CustomersFieldProps {
  value: string[];
  onChange: (ids: string[]) => void;
  error?: string;
}

/** Shown for technicians and read-only users: admins see every customer. */
export function CustomersField({ value, onChange, error }: CustomersFieldProps) {
  return (
    <CustomerMultiSelect
      label="Customers"
      description="The customers this user sees. Without any, the user sees nothing."
      value={value}
      onChange={onChange}
      error={error}
    />
  );
}

/** The role of an existing user, as the form's type; an unknown role (a newer server) reads as the least one. */
export function knownRole(role: string): UserRole {
  return ROLES.find((known) => known === role) ?? 'read_only';
}

export function sameIds(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id) => b.includes(id));
}
