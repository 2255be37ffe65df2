// The live tail of the kernel's log (GET /system/logs/stream), newest first,
// filtered by level and text. A kernel without the stream has no JSON twin to
// poll: the screen says so.
import { Alert, Badge, Card, Group, SegmentedControl, Table, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { clock } from './model.ts';
import type { Snapshot } from './store.ts';

const LEVELS = ['debug', 'info', 'warn', 'error'];
const COLORS: Record<string, string> = { debug: 'gray', info: 'blue', warn: 'yellow', error: 'red' };

export function Logs({ snap }: { snap: Snapshot }) {
  const [level, setLevel] = useState('info');
  const [text, setText] = useState('');
  if (snap.modes.logs === 'offline') {
    return (
      <Alert color="gray" title="No log stream on this kernel" data-testid="logs-unavailable">
        This kernel does not serve GET /system/logs/stream, so there is no live tail; the log goes to the kernel's standard output.
      </Alert>
    );
  }
  const shown = snap.logs.filter((l) => LEVELS.indexOf(l.level) >= LEVELS.indexOf(level) && (!text || `${l.source} ${l.message} ${JSON.stringify(l.fields)}`.toLowerCase().includes(text.toLowerCase()))).slice(0, 300);
  return (
    <Card withBorder>
      <Group mb="sm">
        <SegmentedControl value={level} onChange={setLevel} data={LEVELS} />
        <TextInput placeholder="filter" value={text} onChange={(e) => setText(e.currentTarget.value)} />
        <Text size="sm" c="dimmed">{snap.modes.logs === 'stream' ? 'live' : snap.modes.logs}</Text>
      </Group>
      <Table data-testid="logs" verticalSpacing={2}>
        <Table.Tbody>
          {shown.map((l) => (
            <Table.Tr key={`${l.seq}-${l.atUnixMs}`} data-testid="log-line">
              <Table.Td><Text size="xs" c="dimmed">{clock(l.atUnixMs)}</Text></Table.Td>
              <Table.Td><Badge size="xs" color={COLORS[l.level] ?? 'gray'}>{l.level}</Badge></Table.Td>
              <Table.Td><Text size="xs" ff="monospace">{l.source}</Text></Table.Td>
              <Table.Td><Text size="sm">{l.message}</Text>{Object.keys(l.fields).length > 0 && <Text size="xs" c="dimmed" ff="monospace">{JSON.stringify(l.fields)}</Text>}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {shown.length === 0 && <Text c="dimmed">No log lines yet.</Text>}
    </Card>
  );
}
