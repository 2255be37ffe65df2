// The boot report: every tool and plugin the kernel found, with its status, the
// reason when it is not ready, and how long it took. The CLI prints it,
// /system/status serves it, AI_CONTEXT.md includes it. Readers get copies.

export const ITEM_KINDS = ['tool', 'native', 'sidecar', 'wasm'] as const;
export type ItemKind = (typeof ITEM_KINDS)[number];

export const ITEM_STATES = ['pending', 'ready', 'failed', 'dead', 'stopped'] as const;
export type ItemState = (typeof ITEM_STATES)[number];

export interface ReportItem {
  kind: ItemKind;
  /** A tool's contract name, or a plugin's identity. */
  name: string;
  /** The file, folder or manifest it came from, relative to the project root. */
  source: string;
  status: ItemState;
  /** Why it is failed or dead: the error message, with its code. */
  reason?: string;
  code?: string;
  /** Milliseconds its boot step took. */
  ms?: number;
  /** Tools a plugin declared. */
  needs: string[];
  /** Times a sidecar was restarted (or reconnected to) since boot. */
  restarts?: number;
  /** What a plugin is written in (typescript, go, rust), when its build or folder says. */
  language?: string;
}

export class Registry {
  #items = new Map<string, ReportItem>();
  // The same items by tool name: every tool call asks for its tool's status, and
  // a lookup by name spares it building the key.
  #tools = new Map<string, ReportItem>();

  add(item: ReportItem): void {
    const copy = { ...item };
    this.#items.set(key(item.kind, item.name), copy);
    if (item.kind === 'tool') this.#tools.set(item.name, copy);
  }

  set(kind: ItemKind, name: string, patch: Partial<Omit<ReportItem, 'kind' | 'name'>>): void {
    const item = this.#items.get(key(kind, name));
    if (item) Object.assign(item, patch);
  }

  get(kind: ItemKind, name: string): ReportItem | undefined {
    const item = this.#items.get(key(kind, name));
    return item && { ...item, needs: [...item.needs] };
  }

  /** Just the status: the hot path (every tool call asks) needs no copy. */
  status(kind: ItemKind, name: string): ItemState | undefined {
    return (kind === 'tool' ? this.#tools.get(name) : this.#items.get(key(kind, name)))?.status;
  }

  list(): ReportItem[] {
    return [...this.#items.values()].map((item) => ({ ...item, needs: [...item.needs] }));
  }
}

function key(kind: ItemKind, name: string): string {
  return kind === 'tool' ? `tool:${name}` : `plugin:${name}`;
}
