// What each plugin is wired to, for a dashboard's plugin graph: its endpoints
// (the route table), the topics it subscribes to (the subscription table), the
// request topics it answers (declared reply schemas, and requests it answered
// among the tracer's kept nodes) and the topics it published lately (the
// tracer's kept nodes). Read when /system/status is asked, never kept.
import type { ToolContext } from '../../kernel/index.ts';

export interface Wiring {
  routes: string[];
  subscribes: string[];
  answers: string[];
  publishes: string[];
}

export function wiringByIdentity(ctx: ToolContext): (identity: string) => Wiring {
  const wiring = new Map<string, { routes: Set<string>; subscribes: Set<string>; answers: Set<string>; publishes: Set<string> }>();
  const of = (identity: string) => {
    let w = wiring.get(identity);
    if (!w) wiring.set(identity, (w = { routes: new Set(), subscribes: new Set(), answers: new Set(), publishes: new Set() }));
    return w;
  };
  for (const r of ctx.routes.list()) of(r.owner).routes.add(`${r.method} ${r.path}`);
  for (const s of ctx.subscriptions.list()) of(s.owner).subscribes.add(s.topic);
  for (const d of ctx.subscriptions.declarations()) if (d.replySchema) of(d.owner).answers.add(d.topic);
  for (const n of ctx.tracer.list()) {
    if (n.kind === 'http') continue;
    of(n.source).publishes.add(n.name);
    if (n.kind === 'request') for (const r of n.reactions) if (!r.kernel) of(r.identity).answers.add(n.name);
  }
  const sorted = (s: Set<string> | undefined) => [...(s ?? [])].sort();
  return (identity) => {
    const w = wiring.get(identity);
    return { routes: sorted(w?.routes), subscribes: sorted(w?.subscribes), answers: sorted(w?.answers), publishes: sorted(w?.publishes) };
  };
}
