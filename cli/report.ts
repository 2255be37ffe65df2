// How the CLI prints the boot report and the schema.
import type { ReportItem } from '../kernel/registry.ts';

export function formatReport(report: ReportItem[]): string {
  const ready = report.filter((i) => i.status === 'ready').length;
  const rows = report.map((i) => {
    const mark = i.status === 'ready' ? 'ok' : i.status;
    const line = `  ${mark.padEnd(7)} ${i.kind.padEnd(7)} ${i.name.padEnd(28)} ${i.ms === undefined ? '' : `${i.ms} ms`}`.trimEnd();
    return i.reason ? `${line}\n${i.reason.replace(/^/gm, '          ')}` : line;
  });
  return `boot report (${ready}/${report.length} ready)\n${rows.join('\n')}\n`;
}

interface SchemaTable {
  name: string;
  owner?: string;
  columns: { name: string; type: string; notNull?: boolean; primaryKey?: boolean; defaultValue?: string; unique?: boolean }[];
}

export function formatSchema(tables: SchemaTable[]): string {
  if (!tables.length) return 'no tables';
  return tables
    .map((t) => {
      const cols = t.columns.map((c) => `  ${c.name.padEnd(20)} ${c.type.padEnd(8)}${c.primaryKey ? ' primary key' : ''}${c.notNull ? ' not null' : ''}${c.unique ? ' unique' : ''}${c.defaultValue ? ` default ${c.defaultValue}` : ''}`.trimEnd());
      return `${t.name}${t.owner ? `  (${t.owner})` : ''}\n${cols.join('\n')}`;
    })
    .join('\n\n');
}
