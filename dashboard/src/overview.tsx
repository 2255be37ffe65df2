// The first screen: what is broken on top with its reason, then counts, the
// health of every tool and plugin by hosting, and the live flow of requests and events.
import { Alert, Card, Group, SimpleGrid, Stack, Switch, Table, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { HostingBadge, OkBadge, StatusBadge } from './badges.tsx';
import { clock, hostingOf, isBroken, isSystemTraffic, languageOf, ms } from './model.ts';
import type { Snapshot } from './store.ts';

export function Overview({ snap, openPlugin, openTrace }: { snap: Snapshot; openPlugin(name: string): void; openTrace(traceId: string): void }) {
  const [showSystem, setShowSystem] = useState(false);
  const broken = snap.status.filter((i) => isBroken(i.status));
  // Serving, but not what its source says: a new version `microcore dev` could not swap in.
  const stale = snap.status.filter((i) => !isBroken(i.status) && i.reason);
  const kinds = ['tool', 'native', 'sidecar', 'wasm'];
  const flow = snap.nodes.filter((n) => showSystem || !isSystemTraffic(n.name, n.source)).slice(0, 40);
  return (
    <Stack>
      <div data-testid="problems">
        {broken.length === 0 ? (
          <Alert color="green" title={snap.loaded ? 'Everything is up' : 'Loading…'} data-testid="all-up">
            {snap.loaded ? `${snap.status.length} tools and plugins ready or pending, none failed or dead.` : 'Asking /system/status.'}
          </Alert>
        ) : (
          <Stack gap="xs">
            {broken.map((i) => (
              <Alert key={i.name} color="red" title={`${i.name} is ${i.status}`} data-testid="problem" data-name={i.name} onClick={() => openPlugin(i.name)} style={{ cursor: 'pointer' }}>
                <Text size="sm">{i.reason || 'no reason given'}</Text>
                <Text size="xs" c="dimmed">{i.code} · {i.source}</Text>
              </Alert>
            ))}
          </Stack>
        )}
        {stale.map((i) => (
          <Alert key={i.name} color="yellow" mt="xs" title={`${i.name} serves its previous version`} data-testid="warning" data-name={i.name} onClick={() => openPlugin(i.name)} style={{ cursor: 'pointer' }}>
            <Text size="sm">{i.reason}</Text>
            <Text size="xs" c="dimmed">{i.code} · {i.source}</Text>
          </Alert>
        ))}
      </div>

      <SimpleGrid cols={{ base: 2, md: 4 }}>
        {kinds.map((kind) => {
          const items = snap.status.filter((i) => i.kind === kind);
          const ready = items.filter((i) => i.status === 'ready').length;
          const bad = items.filter((i) => isBroken(i.status)).length;
          return (
            <Card key={kind} withBorder data-testid={`count-${kind}`}>
              <Text size="xs" c="dimmed" tt="uppercase">{kind === 'tool' ? 'tools' : `${kind} plugins`}</Text>
              <Text size="xl" fw={700}>{ready} / {items.length} ready</Text>
              <Text size="sm" c={bad ? 'red' : 'dimmed'}>{bad} failed or dead</Text>
            </Card>
          );
        })}
      </SimpleGrid>

      {snap.changes.length > 0 && (
        <Card withBorder>
          <Title order={5}>Status changes since this page opened</Title>
          <Table data-testid="changes">
            <Table.Tbody>
              {snap.changes.slice(0, 10).map((c, n) => (
                <Table.Tr key={n} data-testid="change" data-name={c.name} data-to={c.to}>
                  <Table.Td>{clock(c.atUnixMs)}</Table.Td>
                  <Table.Td>{c.name}</Table.Td>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}><StatusBadge status={c.from} /> → <StatusBadge status={c.to} /></Table.Td>
                  <Table.Td><Text size="xs" c="dimmed">{c.to === 'ready' ? '' : c.reason}</Text></Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Card>
      )}

      <SimpleGrid cols={{ base: 1, lg: 2 }}>
        <Card withBorder>
          <Title order={5}>Health</Title>
          <Table highlightOnHover data-testid="health">
            <Table.Thead>
              <Table.Tr><Table.Th>name</Table.Th><Table.Th>hosting</Table.Th><Table.Th>status</Table.Th><Table.Th>boot</Table.Th></Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {[...snap.status].sort((a, b) => Number(isBroken(b.status)) - Number(isBroken(a.status)) || kinds.indexOf(a.kind) - kinds.indexOf(b.kind)).map((i) => (
                <Table.Tr key={i.name} data-testid="health-row" data-name={i.name} onClick={() => i.kind !== 'tool' && openPlugin(i.name)} style={{ cursor: i.kind === 'tool' ? 'default' : 'pointer' }}>
                  <Table.Td><Text size="sm" ff="monospace">{i.name}</Text>{i.reason && <Text size="xs" c="red" lineClamp={1}>{i.reason}</Text>}</Table.Td>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}><HostingBadge hosting={i.kind} language={i.language} /></Table.Td>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}><StatusBadge status={i.status} name={i.name} /></Table.Td>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>{i.ms} ms</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Card>
        <Card withBorder>
          <Group justify="space-between">
            <Title order={5}>Live flow</Title>
            <Switch size="xs" label="show /system requests" checked={showSystem} onChange={(e) => setShowSystem(e.currentTarget.checked)} />
          </Group>
          <Table highlightOnHover data-testid="flow">
            <Table.Tbody>
              {flow.map((n) => (
                <Table.Tr key={n.id} data-testid="flow-row" onClick={() => openTrace(n.traceId)} style={{ cursor: 'pointer' }}>
                  <Table.Td><Text size="xs" c="dimmed">{clock(n.atUnixMs)}</Text></Table.Td>
                  <Table.Td><Text size="xs" tt="uppercase" c="dimmed">{n.kind}</Text></Table.Td>
                  <Table.Td><Text size="sm" ff="monospace">{n.name}</Text><Text size="xs" c="dimmed">{n.source} <HostingBadge hosting={hostingOf(n.source, snap.status)} language={languageOf(n.source, snap.status)} /></Text></Table.Td>
                  <Table.Td>{n.reactions.length ? `${n.reactions.length} reaction${n.reactions.length > 1 ? 's' : ''}` : n.kind === 'event' ? '' : ms(n.ms)}</Table.Td>
                  <Table.Td><OkBadge ok={n.ok && n.reactions.every((r) => r.ok)} code={n.code || n.reactions.find((r) => !r.ok)?.code || ''} /></Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          {flow.length === 0 && <Text size="sm" c="dimmed">Nothing yet: requests and events appear here as they happen.</Text>}
        </Card>
      </SimpleGrid>
    </Stack>
  );
}
