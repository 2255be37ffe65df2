// The MicroCore dashboard: one page, five screens chosen by the URL's hash
// (#/overview, #/graph, #/traces/<traceId>, #/metrics, #/logs), all fed by one
// store of what /system/* says (store.ts).
import '@mantine/core/styles.css';
import '@xyflow/react/dist/style.css';
import { AppShell, Badge, Group, MantineProvider, NavLink, Text, Title, Tooltip } from '@mantine/core';
import { useEffect, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { PluginGraph } from './graph.tsx';
import { Logs } from './logs.tsx';
import { Metrics } from './metrics.tsx';
import { isBroken } from './model.ts';
import { Overview } from './overview.tsx';
import { PluginDetails } from './plugin-details.tsx';
import { Store, useSnapshot, type FeedName } from './store.ts';
import { Traces } from './traces.tsx';

const SCREENS = [
  ['overview', 'Overview'],
  ['graph', 'Plugin graph'],
  ['traces', 'Traces'],
  ['metrics', 'Metrics'],
  ['logs', 'Logs'],
] as const;

function useHash(): [string, string] {
  const read = () => {
    const [screen = 'overview', ...rest] = location.hash.replace(/^#\/?/, '').split('/');
    return [screen || 'overview', decodeURIComponent(rest.join('/'))] as [string, string];
  };
  const [hash, setHash] = useState(read);
  useEffect(() => {
    const on = () => setHash(read());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return hash;
}

const MODE_COLORS = { stream: 'green', polling: 'blue', connecting: 'yellow', offline: 'gray' } as const;

function App() {
  const store = useMemo(() => new Store(), []);
  useEffect(() => {
    store.start();
    return () => store.stop();
  }, [store]);
  const snap = useSnapshot(store);
  const [screen, arg] = useHash();
  const [plugin, setPlugin] = useState('');
  const broken = snap.status.filter((i) => isBroken(i.status)).length;
  const go = (to: string) => (location.hash = `#/${to}`);
  const openTrace = (traceId: string) => go(`traces/${encodeURIComponent(traceId)}`);

  return (
    <AppShell header={{ height: 52 }} navbar={{ width: 200, breakpoint: 'sm' }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Group>
            <Title order={3}>MicroCore</Title>
            <Text c="dimmed" size="sm" data-testid="kernel">kernel {snap.kernel || '…'}{snap.members.length > 1 ? ` · ${snap.members.length} kernels` : ''}</Text>
            {broken > 0 && <Badge color="red" data-testid="broken-count">{broken} down</Badge>}
          </Group>
          <Group gap={6}>
            {snap.error && <Text c="red" size="xs">{snap.error}</Text>}
            {(Object.keys(snap.modes) as FeedName[]).map((feed) => (
              <Tooltip key={feed} label={`${feed}: ${snap.modes[feed] === 'polling' ? 'no stream on this kernel, polling the JSON endpoint' : snap.modes[feed]}`}>
                <Badge size="sm" variant="dot" color={MODE_COLORS[snap.modes[feed]]} data-testid={`live-${feed}`} data-mode={snap.modes[feed]}>
                  {feed} {snap.modes[feed]}
                </Badge>
              </Tooltip>
            ))}
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs">
        {SCREENS.map(([id, name]) => (
          <NavLink key={id} label={name} active={screen === id} onClick={() => go(id)} data-testid={`nav-${id}`} />
        ))}
      </AppShell.Navbar>
      <AppShell.Main data-testid={`screen-${screen}`}>
        {screen === 'overview' && <Overview snap={snap} openPlugin={setPlugin} openTrace={openTrace} />}
        {screen === 'graph' && <PluginGraph snap={snap} openPlugin={setPlugin} />}
        {screen === 'traces' && <Traces snap={snap} traceId={arg} openTrace={openTrace} />}
        {screen === 'metrics' && <Metrics snap={snap} />}
        {screen === 'logs' && <Logs snap={snap} />}
      </AppShell.Main>
      <PluginDetails snap={snap} name={plugin} onClose={() => setPlugin('')} />
    </AppShell>
  );
}

createRoot(document.getElementById('root')!).render(
  <MantineProvider defaultColorScheme="light">
    <App />
  </MantineProvider>,
);
