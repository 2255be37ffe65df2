// Every plugin of every hosting between the tools it needs (left) and the topics
// it publishes or consumes (right), drawn by React Flow. Clicking a plugin opens
// its details.
import { Badge, Card, Group, Switch, Text } from '@mantine/core';
import { Background, Controls, MarkerType, Position, ReactFlow, type Edge, type Node } from '@xyflow/react';
import { useMemo, useState } from 'react';
import { HOSTING_COLORS, HOSTING_LABEL, HOSTINGS, pluginViews, STATUS_COLORS } from './model.ts';
import type { Snapshot } from './store.ts';

const ROW = 64;
const COLUMNS = { tool: 0, plugin: 360, topic: 820 };

function label(name: string, status: string, extra: string) {
  return (
    <div data-testid={`graph-node-${name}`} data-status={status} style={{ textAlign: 'left' }}>
      <div style={{ fontFamily: 'monospace', fontSize: 12, fontWeight: 600 }}>{name}</div>
      <div style={{ fontSize: 10, color: `var(--mantine-color-${STATUS_COLORS[status] ?? 'gray'}-7)` }}>{status}{extra ? ` · ${extra}` : ''}</div>
    </div>
  );
}

const box = (status: string, hosting: string) => ({ width: 220, border: `2px solid var(--mantine-color-${STATUS_COLORS[status] ?? 'gray'}-5)`, borderLeft: `8px solid var(--mantine-color-${HOSTING_COLORS[hosting] ?? 'gray'}-5)`, padding: 6, borderRadius: 6 });

export function PluginGraph({ snap, openPlugin }: { snap: Snapshot; openPlugin(name: string): void }) {
  // The kernel's own system/* plugins (a dozen, each wired to http and system) hide the app's wiring: shown on request.
  const [showSystem, setShowSystem] = useState(false);
  const plugins = pluginViews(snap).filter((p) => showSystem || !p.name.startsWith('system/'));
  // Only the layout's inputs: a status poll that changes nothing keeps the graph as it is.
  const shape = JSON.stringify([snap.status.map((i) => [i.name, i.status]), plugins.map((p) => [p.name, p.needs, p.publishes, p.consumes, p.routes.length])]);
  const { nodes, edges } = useMemo(() => {
    const nodes: Node[] = [];
    const edges: Edge[] = [];
    snap.status.filter((i) => i.kind === 'tool').forEach((t, n) => {
      nodes.push({ id: `tool:${t.name}`, position: { x: COLUMNS.tool, y: n * ROW }, data: { label: label(t.name, t.status, 'tool') }, sourcePosition: Position.Right, targetPosition: Position.Right, style: box(t.status, 'tool'), connectable: false });
    });
    let y = 0;
    for (const hosting of HOSTINGS) {
      const group = plugins.filter((p) => p.kind === hosting);
      if (!group.length) continue;
      nodes.push({ id: `group:${hosting}`, position: { x: COLUMNS.plugin, y }, data: { label: `${HOSTING_LABEL[hosting]} (${group.length})` }, selectable: false, draggable: false, connectable: false, style: { width: 260, fontWeight: 700, border: 'none', background: 'transparent' } });
      y += 44;
      for (const p of group) {
        nodes.push({ id: `plugin:${p.name}`, position: { x: COLUMNS.plugin, y }, data: { label: label(p.name, p.status, p.routes.length ? `${p.routes.length} route${p.routes.length > 1 ? 's' : ''}` : '') }, sourcePosition: Position.Right, targetPosition: Position.Left, style: box(p.status, p.kind), connectable: false });
        for (const tool of p.needs) edges.push({ id: `${p.name}>${tool}`, source: `tool:${tool}`, target: `plugin:${p.name}`, style: { stroke: '#adb5bd' } });
        for (const topic of p.publishes) edges.push({ id: `${p.name}>pub>${topic}`, source: `plugin:${p.name}`, target: `topic:${topic}`, markerEnd: { type: MarkerType.ArrowClosed, color: '#12b886' }, style: { stroke: '#12b886' }, animated: true });
        for (const topic of p.consumes) edges.push({ id: `${p.name}<sub<${topic}`, source: `plugin:${p.name}`, target: `topic:${topic}`, markerStart: { type: MarkerType.ArrowClosed, color: '#7950f2' }, style: { stroke: '#7950f2', strokeDasharray: '5 4' } });
        y += ROW;
      }
      y += 20;
    }
    const topics = [...new Set(plugins.flatMap((p) => [...p.publishes, ...p.consumes]))].sort();
    topics.forEach((topic, n) => {
      nodes.push({ id: `topic:${topic}`, position: { x: COLUMNS.topic, y: n * ROW }, data: { label: <div data-testid={`graph-topic-${topic}`} style={{ fontFamily: 'monospace', fontSize: 12 }}>{topic}</div> }, targetPosition: Position.Left, sourcePosition: Position.Left, style: { width: 200, borderRadius: 16, border: '1px solid #ced4da' }, connectable: false });
    });
    return { nodes, edges };
    // `shape` is what these depend on.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shape]);
  return (
    <Card withBorder p={0}>
      <Group p="xs" gap="xs">
        <Text size="sm" c="dimmed">Tools on the left, plugins by hosting, topics on the right. Click a plugin for its details.</Text>
        <Badge color="gray" variant="light">needs</Badge>
        <Badge color="teal" variant="light">publishes →</Badge>
        <Badge color="violet" variant="light">← consumes</Badge>
        <Switch size="xs" label="system/* plugins" checked={showSystem} onChange={(e) => setShowSystem(e.currentTarget.checked)} data-testid="graph-show-system" />
      </Group>
      <div style={{ height: '78vh' }} data-testid="plugin-graph">
        <ReactFlow nodes={nodes} edges={edges} fitView nodesConnectable={false} onNodeClick={(_e, node) => node.id.startsWith('plugin:') && openPlugin(node.id.slice('plugin:'.length))}>
          <Background />
          <Controls showInteractive={false} />
        </ReactFlow>
      </div>
    </Card>
  );
}
