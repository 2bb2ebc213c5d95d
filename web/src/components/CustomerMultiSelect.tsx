import { MultiSelect, type MultiSelectProps } from '@mantine/core';
import { useMemo } from 'react';
import { useAllCustomers } from '../queries/customers';

export type CustomerMultiSelectProps = Omit<MultiSelectProps, 'data' | 'searchable'>;

/**
 * Picks several customers by name. It loads every customer once (GET /customers pages of 500)
 * and searches them in the browser: a user's customers are chosen from a short list.
 */
export function CustomerMultiSelect(props: CustomerMultiSelectProps) {
  const customers = useAllCustomers();
  const data = useMemo(
    () => (customers.data ?? []).map((customer) => ({ value: customer.id, label: customer.name })),
    [customers.data],
  );
  return (
    <MultiSelect
      placeholder={customers.isPending ? 'Loading customers…' : 'Search customers'}
      nothingFoundMessage={data.length === 0 ? 'No customers yet.' : 'No customer name contains this text.'}
      // Until the names are in, the chosen ids would show as empty pills.
      disabled={customers.isPending}
      {...props}
      data={data}
      searchable
      hidePickedOptions
      maxDropdownHeight={260}
    />
  );
}
