// One plugin in full: status and reason, source, hosting, the tools it needs,
// its routes and topics, and its tool calls' latency and error rates.
import { Alert, Badge, Code, Drawer, Group, Stack, Table, Text, Title } from '@mantine/core';
import { HostingBadge, StatusBadge } from './badges.tsx';
import { ms, pluginViews, rates } from './model.ts';
import type { Snapshot } from './store.ts';

export function PluginDetails({ snap, name, onClose }: { snap: Snapshot; name: string; onClose(): void }) {
  const plugin = pluginViews(snap).find((p) => p.name === name);
  const calls = snap.totals.filter((t) => t.caller === name).sort((a, b) => b.count - a.count);
  const sum = rates(calls);
  const reactions = snap.nodes.flatMap((n) => n.reactions.filter((r) => r.identity === name));
  const chips = (list: string[], color: string, testId: string) => (list.length ? <Group gap={4} data-testid={testId}>{list.map((x) => <Badge key={x} color={color} variant="light" tt="none">{x}</Badge>)}</Group> : <Text size="sm" c="dimmed" data-testid={testId}>none</Text>);
  return (
    <Drawer opened={Boolean(name)} onClose={onClose} position="right" size="lg" title={<Title order={4}>{name}</Title>}>
      {!plugin ? (
        <Text c="dimmed">{name} is not in /system/status.</Text>
      ) : (
        <Stack data-testid="plugin-details" data-name={name}>
          <Group>
            <StatusBadge status={plugin.status} />
            <HostingBadge hosting={plugin.kind} language={plugin.language} />
            {plugin.restarts !== undefined && <Badge color="gray" variant="outline">{plugin.restarts} restarts</Badge>}
            <Text size="sm" c="dimmed">booted in {plugin.ms} ms</Text>
          </Group>
          {plugin.reason && <Alert color="red" title={plugin.code || 'reason'} data-testid="plugin-reason">{plugin.reason}</Alert>}
          <div><Text size="xs" c="dimmed">source</Text><Code>{plugin.source}</Code></div>
          <div><Text size="xs" c="dimmed">needs (tools)</Text>{chips(plugin.needs, 'gray', 'plugin-needs')}</div>
          <div><Text size="xs" c="dimmed">routes</Text>{chips(plugin.routes, 'blue', 'plugin-routes')}</div>
          <div><Text size="xs" c="dimmed">publishes</Text>{chips(plugin.publishes, 'teal', 'plugin-publishes')}</div>
          <div><Text size="xs" c="dimmed">consumes (subscribes, answers)</Text>{chips(plugin.consumes, 'violet', 'plugin-consumes')}</div>
          <div>
            <Text size="xs" c="dimmed">reactions seen lately</Text>
            <Text size="sm">{reactions.length ? `${reactions.length}, mean ${ms(reactions.reduce((s, r) => s + r.ms, 0) / reactions.length)}, ${reactions.filter((r) => !r.ok).length} failed` : 'none'}</Text>
          </div>
          <div>
            <Text size="xs" c="dimmed">tool calls: {sum.count} calls, {sum.errors} errors ({sum.count ? ((sum.errors / sum.count) * 100).toFixed(1) : '0.0'}%), mean {ms(sum.meanMs)}, max {ms(sum.maxMs)}</Text>
            <Table data-testid="plugin-calls">
              <Table.Thead><Table.Tr><Table.Th>tool.method</Table.Th><Table.Th>calls</Table.Th><Table.Th>errors</Table.Th><Table.Th>mean</Table.Th><Table.Th>max</Table.Th></Table.Tr></Table.Thead>
              <Table.Tbody>
                {calls.map((c) => (
                  <Table.Tr key={`${c.tool}.${c.method}`}>
                    <Table.Td><Text size="sm" ff="monospace">{c.tool}.{c.method}</Text></Table.Td>
                    <Table.Td>{c.count}</Table.Td>
                    <Table.Td><Text size="sm" c={c.errors ? 'red' : undefined}>{c.errors}</Text></Table.Td>
                    <Table.Td>{ms(c.count ? c.totalMs / c.count : 0)}</Table.Td>
                    <Table.Td>{ms(c.maxMs)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </div>
        </Stack>
      )}
    </Drawer>
  );
}
