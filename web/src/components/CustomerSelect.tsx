import { Anchor, Select, Text, type SelectProps } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useMemo, useState } from 'react';
import { Link } from 'react-router-dom';
import { useCustomer, useCustomerList } from '../queries/customers';

export interface CustomerOption {
  id: string;
  name: string;
}

export interface CustomerSelectProps extends Omit<
  SelectProps,
  'data' | 'value' | 'onChange' | 'searchable' | 'searchValue' | 'onSearchChange'
> {
  value: string | null;
  onChange: (customer: CustomerOption | null) => void;
  /** Offer a link to the Customers page when there are no customers at all. */
  withCreateHint?: boolean;
}

/**
 * A searchable customer picker. The search goes to the server (GET /customers?q=), and the
 * next page loads when the list is scrolled to its end, so it works for any number of customers.
 */
export function CustomerSelect({ value, onChange, withCreateHint, ...selectProps }: CustomerSelectProps) {
  const [search, setSearch] = useState('');
  const [chosen, setChosen] = useState<CustomerOption | null>(null);

  // The chosen customer's name; fetched when the value came from elsewhere (the URL, a token).
  const knownName = chosen && chosen.id === value ? chosen.name : undefined;
  const fetched = useCustomer(value ?? '', { enabled: Boolean(value) && knownName === undefined });
  const selectedName = knownName ?? fetched.data?.name;

  // While the box just shows the chosen name, list everyone rather than searching for that name.
  const typed = search.trim();
  const [q] = useDebouncedValue(selectedName !== undefined && typed === selectedName.trim() ? '' : typed, 250);
  const list = useCustomerList(q);
  const loaded = useMemo(() => list.data?.pages.flatMap((page) => page.items) ?? [], [list.data]);

  const data = useMemo(() => {
    const options = loaded.map((customer) => ({ value: customer.id, label: customer.name }));
    if (value && selectedName !== undefined && !options.some((option) => option.value === value)) {
      options.unshift({ value, label: selectedName });
    }
    return options;
  }, [loaded, value, selectedName]);

  let nothingFound: SelectProps['nothingFoundMessage'] = 'No customers yet.';
  if (list.isFetching) nothingFound = 'Searching…';
  else if (q !== '') nothingFound = 'No customer name contains this text.';
  else if (withCreateHint) {
    nothingFound = (
      <Text size="sm" c="dimmed" component="span">
        No customers yet.{' '}
        <Anchor component={Link} to="/customers" size="sm">
          Add one on the Customers page
        </Anchor>
        .
      </Text>
    );
  }

  return (
    <Select
      placeholder="Search customers"
      {...selectProps}
      searchable
      value={value}
      onChange={(id, option) => {
        const next = id && option ? { id, name: option.label } : null;
        setChosen(next);
        onChange(next);
      }}
      searchValue={search}
      onSearchChange={setSearch}
      data={data}
      nothingFoundMessage={nothingFound}
      scrollAreaProps={{
        onBottomReached: () => {
          if (list.hasNextPage && !list.isFetchingNextPage) void list.fetchNextPage();
        },
      }}
    />
  );
}
