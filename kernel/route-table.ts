// The kernel route table. Plugins of every hosting add endpoints here (through
// the http tool); the HTTP server looks each request's handler up here, so a
// restarted sidecar or a reloaded plugin swaps its handlers without the server
// knowing.
import { mcError } from './errors.ts';

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export interface Route {
  method: HttpMethod;
  /** The path pattern, `:name` for a parameter. */
  path: string;
  /** The identity of the plugin that added it. */
  owner: string;
  handlerId: string;
  bodySchema?: object;
  responseSchema?: object;
  /** JSON Schemas of the path parameters and of the query string (values judged as text). */
  paramsSchema?: object;
  querySchema?: object;
  successStatus: number;
  summary: string;
  tags: string[];
  /** The auth validator to run first, by name. */
  auth?: string;
  /** A server-sent events stream rather than a request/response endpoint. */
  stream?: boolean;
  /** The request's deadline in ms; 0 or absent: the http tool's default. */
  timeoutMs?: number;
}

const PATH = /^(\/(:?[A-Za-z0-9_.~-]+))+$|^\/$/;

export class RouteTable {
  // By method, then path: a request looks its route up with the two strings it
  // already has (their hashes cached), where one "METHOD /path" key was a new
  // string to build and hash on every request.
  #routes = new Map<string, Map<string, Route>>();

  add(route: Route): void {
    if (!HTTP_METHODS.includes(route.method)) throw mcError('MC_ERR_HTTP_ROUTE', `${route.owner} added an endpoint with method '${route.method}'`, { plugin: route.owner, method: route.method });
    if (!PATH.test(route.path)) throw mcError('MC_ERR_HTTP_ROUTE', `${route.owner} added an endpoint with path '${route.path}', which is not /segment/:param/...`, { plugin: route.owner, path: route.path });
    const existing = this.get(route.method, route.path);
    if (existing && existing.owner !== route.owner) {
      throw mcError('MC_ERR_HTTP_ROUTE', `${route.owner} added ${route.method} ${route.path}, which ${existing.owner} already serves`, { plugin: route.owner, owner: existing.owner, path: route.path });
    }
    // The same owner adding it again (a restarted sidecar) replaces its handler.
    let paths = this.#routes.get(route.method);
    if (!paths) this.#routes.set(route.method, (paths = new Map()));
    paths.set(route.path, { ...route });
  }

  get(method: string, path: string): Route | undefined {
    return this.#routes.get(method)?.get(path);
  }

  /** Removes every route a plugin added (it failed, or is being replaced). */
  removeOwner(owner: string): void {
    for (const paths of this.#routes.values()) for (const [path, r] of paths) if (r.owner === owner) paths.delete(path);
  }

  list(): Route[] {
    return [...this.#routes.values()].flatMap((paths) => [...paths.values()]).sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
  }
}
