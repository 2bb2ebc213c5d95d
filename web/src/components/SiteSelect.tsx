import { Select, type SelectProps } from '@mantine/core';
import { useEffect, useMemo } from 'react';
import type { Site } from '../api';
import { useSiteList } from '../queries/sites';

/** Customers have a handful of sites; load them all (up to this many pages) so the list is complete. */
const MAX_PAGES = 20;

/** All of a customer's sites (GET /customers/{id}/sites, every page). */
export function useAllSites(customerId: string | null) {
  const list = useSiteList(customerId ?? '', { enabled: Boolean(customerId) });
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = list;
  const pages = list.data?.pages.length ?? 0;
  useEffect(() => {
    if (hasNextPage && !isFetchingNextPage && pages < MAX_PAGES) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage, pages]);
  const sites = useMemo<Site[]>(() => list.data?.pages.flatMap((page) => page.items) ?? [], [list.data]);
  return { ...list, sites };
}

export interface SiteSelectProps extends Omit<SelectProps, 'data' | 'value' | 'onChange' | 'searchable'> {
  customerId: string | null;
  value: string | null;
  onChange: (site: Site | null) => void;
}

/** Picks one of a customer's sites; disabled until a customer is chosen. */
export function SiteSelect({ customerId, value, onChange, disabled, ...selectProps }: SiteSelectProps) {
  const { sites, isFetching } = useAllSites(customerId);
  const data = useMemo(() => sites.map((site) => ({ value: site.id, label: site.name })), [sites]);

  return (
    <Select
      {...selectProps}
      searchable
      disabled={disabled || !customerId}
      value={value}
      onChange={(id) => onChange(sites.find((site) => site.id === id) ?? null)}
      data={data}
      nothingFoundMessage={
        isFetching
          ? 'Loading sites…'
          : sites.length === 0
            ? 'This customer has no sites.'
            : 'No site name contains this text.'
      }
    />
  );
}
