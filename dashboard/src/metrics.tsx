// Tool-call latency and error rates per plugin, tool and method: mean and max
// latency bars, calls and errors per second over the last minute, and the table
// of totals behind them.
import { Card, Group, SegmentedControl, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useMemo, useState } from 'react';
import { ChartView } from './chart.tsx';
import { ms, rates } from './model.ts';
import type { Call, Snapshot, Totals } from './store.ts';

const GROUPINGS = { plugin: 'plugin', tool: 'tool', method: 'tool.method', all: 'plugin · tool.method' } as const;
type Grouping = keyof typeof GROUPINGS;

// Horizontal bars, every label shown (Chart.js skips some when they crowd).
const BARS = { indexAxis: 'y' as const, scales: { y: { ticks: { autoSkip: false } } } };

const keyOf = (g: Grouping, r: { caller: string; tool: string; method: string }) => (g === 'plugin' ? r.caller : g === 'tool' ? r.tool : g === 'method' ? `${r.tool}.${r.method}` : `${r.caller} · ${r.tool}.${r.method}`);

export function Metrics({ snap }: { snap: Snapshot }) {
  const [grouping, setGrouping] = useState<Grouping>('plugin');
  const groups = useMemo(() => {
    const by = new Map<string, Totals[]>();
    for (const t of snap.totals) by.set(keyOf(grouping, t), [...(by.get(keyOf(grouping, t)) ?? []), t]);
    return [...by.entries()].map(([key, rows]) => ({ key, ...rates(rows) })).sort((a, b) => b.count - a.count);
  }, [snap.totals, grouping]);
  const top = groups.slice(0, 15);
  const latency = useMemo(
    () => ({ labels: top.map((g) => g.key), datasets: [{ label: 'mean ms', data: top.map((g) => g.meanMs), backgroundColor: '#228be6' }, { label: 'max ms', data: top.map((g) => g.maxMs), backgroundColor: '#fab005' }] }),
    [top],
  );
  const errors = useMemo(
    () => ({ labels: top.map((g) => g.key), datasets: [{ label: 'calls', data: top.map((g) => g.count), backgroundColor: '#40c057' }, { label: 'errors', data: top.map((g) => g.errors), backgroundColor: '#fa5252' }] }),
    [top],
  );
  const overTime = useMemo(() => perSecond(snap.calls), [snap.calls]);
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={4}>Tool calls</Title>
        <SegmentedControl data-testid="grouping" value={grouping} onChange={(v) => setGrouping(v as Grouping)} data={Object.entries(GROUPINGS).map(([value, label]) => ({ value, label }))} />
      </Group>
      <SimpleGrid cols={{ base: 1, lg: 2 }}>
        <Card withBorder>
          <Text fw={600}>Latency per {GROUPINGS[grouping]} (the 15 busiest)</Text>
          <ChartView type="bar" data={latency} options={BARS} height={320} testId="chart-latency" />
        </Card>
        <Card withBorder>
          <Text fw={600}>Calls and errors per {GROUPINGS[grouping]}</Text>
          <ChartView type="bar" data={errors} options={BARS} height={320} testId="chart-errors" />
        </Card>
      </SimpleGrid>
      <Card withBorder>
        <Text fw={600}>Calls and errors per second (recent calls)</Text>
        <ChartView type="line" data={overTime} height={200} testId="chart-time" />
      </Card>
      <Card withBorder>
        <Table striped highlightOnHover data-testid="metrics-table">
          <Table.Thead>
            <Table.Tr><Table.Th>{GROUPINGS[grouping]}</Table.Th><Table.Th>calls</Table.Th><Table.Th>errors</Table.Th><Table.Th>error rate</Table.Th><Table.Th>mean</Table.Th><Table.Th>max</Table.Th></Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {groups.map((g) => (
              <Table.Tr key={g.key} data-testid="metrics-row" data-key={g.key}>
                <Table.Td><Text size="sm" ff="monospace">{g.key}</Text></Table.Td>
                <Table.Td>{g.count}</Table.Td>
                <Table.Td>{g.errors}</Table.Td>
                <Table.Td><Text c={g.errors ? 'red' : undefined} size="sm">{g.count ? ((g.errors / g.count) * 100).toFixed(1) : '0.0'}%</Text></Table.Td>
                <Table.Td>{ms(g.meanMs)}</Table.Td>
                <Table.Td>{ms(g.maxMs)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        {groups.length === 0 && <Text c="dimmed">No tool calls yet.</Text>}
      </Card>
    </Stack>
  );
}

/** Calls and errors in each of the last 60 seconds. */
function perSecond(calls: Call[]) {
  const now = Math.floor(Date.now() / 1000);
  const seconds = Array.from({ length: 60 }, (_, n) => now - 59 + n);
  const count = new Map<number, { calls: number; errors: number }>();
  for (const c of calls) {
    const s = Math.floor(c.atUnixMs / 1000);
    if (s < seconds[0]!) continue;
    const e = count.get(s) ?? { calls: 0, errors: 0 };
    e.calls++;
    if (!c.ok) e.errors++;
    count.set(s, e);
  }
  return {
    labels: seconds.map((s) => `${s - now}s`),
    datasets: [
      { label: 'calls', data: seconds.map((s) => count.get(s)?.calls ?? 0), borderColor: '#40c057', backgroundColor: '#40c057', pointRadius: 0 },
      { label: 'errors', data: seconds.map((s) => count.get(s)?.errors ?? 0), borderColor: '#fa5252', backgroundColor: '#fa5252', pointRadius: 0 },
    ],
  };
}
