import { Skeleton, Table } from '@mantine/core';

export function TableSkeletonRows({ columns, rows = 4 }: { columns: number; rows?: number }) {
  return (
    <>
      {Array.from({ length: rows }, (_, row) => (
        <Table.Tr key={row} aria-hidden>
          {Array.from({ length: columns }, (_, col) => (
            <Table.Td key={col}>
              <Skeleton height={14} width={col === 0 ? '60%' : '40%'} radius="sm" />
            </Table.Td>
          ))}
        </Table.Tr>
      ))}
    </>
  );
}
