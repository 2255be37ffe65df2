// A native HTTP handler returns the response body; to choose the status or add
// headers it returns reply(status, body, headers) instead. (Sidecars and wasm
// modules answer with an HttpResponse, which has both.)
import type { JsValue } from './values.ts';

const REPLY = Symbol('microcore.reply');

export interface Reply {
  readonly [REPLY]: true;
  status: number;
  body: JsValue;
  headers: Record<string, string>;
}

export function reply(status: number, body: unknown = null, headers: Record<string, string> = {}): Reply {
  return { [REPLY]: true, status, body: body as JsValue, headers };
}

export function isReply(x: unknown): x is Reply {
  return typeof x === 'object' && x !== null && REPLY in x;
}
