// Recent requests and, for the one chosen, its causal tree: the HTTP request,
// the events and bus requests it caused, each handler's reaction with its
// hosting and timing, and the tool calls made on the way — across every
// hosting (and every kernel, on the cluster bus).
import { Badge, Card, Code, Grid, Group, Progress, Stack, Switch, Table, Text, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import { HostingBadge, OkBadge } from './badges.tsx';
import { clock, hostingOf, isSystemTraffic, languageOf, ms } from './model.ts';
import { loadTrace, type Snapshot, type StatusItem, type TreeNode } from './store.ts';

export function Traces({ snap, traceId, openTrace }: { snap: Snapshot; traceId: string; openTrace(traceId: string): void }) {
  const [showSystem, setShowSystem] = useState(false);
  const known = new Set(snap.nodes.map((n) => n.id));
  const roots = snap.nodes.filter((n) => (!n.parentId || !known.has(n.parentId)) && (showSystem || !isSystemTraffic(n.name, n.source))).slice(0, 60);
  return (
    <Grid>
      <Grid.Col span={{ base: 12, md: 4 }}>
        <Card withBorder>
          <Group justify="space-between">
            <Title order={5}>Recent requests</Title>
            <Switch size="xs" label="/system too" checked={showSystem} onChange={(e) => setShowSystem(e.currentTarget.checked)} />
          </Group>
          <Table highlightOnHover data-testid="trace-list">
            <Table.Tbody>
              {roots.map((n) => (
                <Table.Tr key={n.id} data-testid="trace-row" data-name={n.name} data-trace={n.traceId} onClick={() => openTrace(n.traceId)} bg={n.traceId === traceId ? 'var(--mantine-color-blue-light)' : undefined} style={{ cursor: 'pointer' }}>
                  <Table.Td><Text size="xs" c="dimmed">{clock(n.atUnixMs)}</Text></Table.Td>
                  <Table.Td><Text size="sm" ff="monospace">{n.name}</Text><Text size="xs" c="dimmed">{n.source}</Text></Table.Td>
                  <Table.Td>{n.kind === 'event' ? '' : ms(n.ms)}</Table.Td>
                  <Table.Td><OkBadge ok={n.ok} code={n.code} /></Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          {roots.length === 0 && <Text size="sm" c="dimmed">No requests yet.</Text>}
        </Card>
      </Grid.Col>
      <Grid.Col span={{ base: 12, md: 8 }}>
        {traceId ? <TraceTree traceId={traceId} status={snap.status} version={snap.nodes.filter((n) => n.traceId === traceId).map((n) => `${n.id}:${n.reactions.length}:${n.ms}`).join()} /> : <Text c="dimmed">Choose a request to see what it caused.</Text>}
      </Grid.Col>
    </Grid>
  );
}

/** Loads the trace again as its nodes change (a new node, a late reaction): `version` says when. */
function TraceTree({ traceId, status, version }: { traceId: string; status: StatusItem[]; version: string }) {
  const [roots, setRoots] = useState<TreeNode[] | undefined>();
  const [error, setError] = useState('');
  useEffect(() => {
    let live = true;
    loadTrace(traceId).then(
      (r) => live && (setRoots(r), setError('')),
      (e: Error) => live && setError(e.message),
    );
    return () => {
      live = false;
    };
  }, [traceId, version]);
  if (error) return <Text c="red">{error}</Text>;
  if (!roots) return <Text c="dimmed">Loading {traceId}…</Text>;
  const total = Math.max(1, ...roots.map((r) => r.ms));
  return (
    <Card withBorder data-testid="trace-tree" data-trace={traceId}>
      <Title order={5}>Trace <Code>{traceId}</Code></Title>
      <Stack gap="xs" mt="sm">
        {roots.map((r) => <NodeView key={r.id} node={r} status={status} total={total} depth={0} />)}
      </Stack>
    </Card>
  );
}

function NodeView({ node, status, total, depth }: { node: TreeNode; status: StatusItem[]; total: number; depth: number }) {
  return (
    <div data-testid="trace-node" data-kind={node.kind} data-name={node.name} data-source={node.source} style={{ marginLeft: depth ? 20 : 0, borderLeft: depth ? '2px solid var(--mantine-color-gray-4)' : undefined, paddingLeft: depth ? 10 : 0 }}>
      <Group gap="xs">
        <Badge variant="light" color={node.kind === 'http' ? 'blue' : node.kind === 'request' ? 'violet' : 'teal'}>{node.kind}</Badge>
        <Text fw={600} ff="monospace" size="sm">{node.name}</Text>
        <Text size="xs" c="dimmed">by {node.source}</Text>
        <HostingBadge hosting={hostingOf(node.source, status)} language={languageOf(node.source, status)} />
        {node.kind !== 'event' && <Text size="sm">{ms(node.ms)}</Text>}
        <OkBadge ok={node.ok} code={node.code} />
        {node.kernel && <Text size="xs" c="dimmed">kernel {node.kernel}</Text>}
      </Group>
      {node.kind !== 'event' && <Progress value={Math.min(100, (node.ms / total) * 100)} size="xs" my={4} />}
      {node.reactions.length > 0 && (
        <Table withRowBorders={false} verticalSpacing={2} ml="md" w="auto">
          <Table.Tbody>
            {node.reactions.map((r, n) => (
              <Table.Tr key={n} data-testid="trace-reaction" data-identity={r.identity} data-hosting={hostingOf(r.identity, status)} data-language={languageOf(r.identity, status)}>
                <Table.Td><Text size="sm">↳ {r.identity}</Text></Table.Td>
                <Table.Td><HostingBadge hosting={hostingOf(r.identity, status)} language={languageOf(r.identity, status)} /></Table.Td>
                <Table.Td><Text size="sm">{ms(r.ms)}</Text></Table.Td>
                <Table.Td>{r.attempts > 1 && <Text size="xs">{r.attempts} attempts</Text>}</Table.Td>
                <Table.Td><OkBadge ok={r.ok} code={r.code} /></Table.Td>
                <Table.Td>{r.kernel && <Text size="xs" c="dimmed">{r.kernel}</Text>}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {node.calls.length > 0 && (
        <Table withRowBorders={false} verticalSpacing={0} ml="md" w="auto">
          <Table.Tbody>
            {[...node.calls].sort((a, b) => a.atUnixMs - b.atUnixMs).map((c, n) => (
              <Table.Tr key={n} data-testid="trace-call" data-caller={c.caller}>
                <Table.Td><Text size="xs" c="dimmed" ff="monospace">{c.caller} → {c.tool}.{c.method}</Text></Table.Td>
                <Table.Td><Text size="xs" c="dimmed">{ms(c.ms)}</Text></Table.Td>
                <Table.Td>{!c.ok && <Badge color="red" size="xs">{c.code}</Badge>}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Stack gap={4} mt={4}>
        {node.children.map((c) => <NodeView key={c.id} node={c} status={status} total={total} depth={depth + 1} />)}
      </Stack>
    </div>
  );
}
