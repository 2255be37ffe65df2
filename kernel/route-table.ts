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

/** A named auth validator (Http.AddAuthValidator): the handler that judges a request's credentials. */
export interface AuthValidator {
  name: string;
  owner: string;
  handlerId: string;
}

/** What a plugin being swapped in has added so far, not served until its swap commits. */
interface Staged {
  routes: Map<string, Route>;
  validators: Map<string, AuthValidator>;
}

export class RouteTable {
  // By method, then path: a request looks its route up with the two strings it
  // already has (their hashes cached), where one "METHOD /path" key was a new
  // string to build and hash on every request.
  #routes = new Map<string, Map<string, Route>>();
  #validators = new Map<string, AuthValidator>();
  #staged = new Map<string, Staged>();
  #listeners: ((swapped?: string) => unknown)[] = [];
  #settled: Promise<unknown> = Promise.resolve();

  add(route: Route): void {
    if (!HTTP_METHODS.includes(route.method)) throw mcError('MC_ERR_HTTP_ROUTE', `${route.owner} added an endpoint with method '${route.method}'`, { plugin: route.owner, method: route.method });
    if (!PATH.test(route.path)) throw mcError('MC_ERR_HTTP_ROUTE', `${route.owner} added an endpoint with path '${route.path}', which is not /segment/:param/...`, { plugin: route.owner, path: route.path });
    const existing = this.get(route.method, route.path);
    if (existing && existing.owner !== route.owner) {
      throw mcError('MC_ERR_HTTP_ROUTE', `${route.owner} added ${route.method} ${route.path}, which ${existing.owner} already serves`, { plugin: route.owner, owner: existing.owner, path: route.path });
    }
    const staged = this.#staged.get(route.owner);
    if (staged) {
      staged.routes.set(`${route.method} ${route.path}`, { ...route });
      return;
    }
    this.#set(route);
    this.#changed();
  }

  // The same owner adding it again (a restarted sidecar) replaces its handler.
  #set(route: Route): void {
    let paths = this.#routes.get(route.method);
    if (!paths) this.#routes.set(route.method, (paths = new Map()));
    paths.set(route.path, { ...route });
  }

  get(method: string, path: string): Route | undefined {
    return this.#routes.get(method)?.get(path);
  }

  addValidator(v: AuthValidator): void {
    const taken = this.#validators.get(v.name);
    if (taken && taken.owner !== v.owner) throw mcError('MC_ERR_HTTP_ROUTE', `${v.owner} added auth validator '${v.name}', which ${taken.owner} already added`, { name: v.name });
    const staged = this.#staged.get(v.owner);
    if (staged) staged.validators.set(v.name, { ...v });
    else this.#validators.set(v.name, { ...v });
  }

  validator(name: string): AuthValidator | undefined {
    return this.#validators.get(name);
  }

  /** Removes every route and validator a plugin added (it failed, stopped, or is gone). */
  removeOwner(owner: string): void {
    this.#remove(owner);
    this.#changed();
  }

  #remove(owner: string): void {
    for (const paths of this.#routes.values()) for (const [path, r] of paths) if (r.owner === owner) paths.delete(path);
    for (const [name, v] of this.#validators) if (v.owner === owner) this.#validators.delete(name);
  }

  /**
   * From now on what `owner` adds is held back (a new version of it is booting
   * while the old one serves); `commit` swaps it in at once, `discard` drops it.
   */
  stage(owner: string): void {
    this.#staged.set(owner, { routes: new Map(), validators: new Map() });
  }

  /** The staged routes and validators replace the owner's, in one step (checked against the others' when staged). */
  commit(owner: string): void {
    const staged = this.#staged.get(owner);
    if (!staged) return;
    this.#staged.delete(owner);
    this.#remove(owner);
    for (const route of staged.routes.values()) this.#set(route);
    for (const v of staged.validators.values()) this.#validators.set(v.name, v);
    this.#changed(owner);
  }

  discard(owner: string): void {
    this.#staged.delete(owner);
  }

  /** Called after every change of what is served, with the owner when a new version of it took over: the http tool rebuilds its router (and returns when it is in place). */
  onChange(listener: (swapped?: string) => unknown): void {
    this.#listeners.push(listener);
  }

  /** Resolves once every listener is done with the last change: the routes it made are served. */
  settled(): Promise<unknown> {
    return this.#settled;
  }

  /** `swapped`: the owner a new version of which just took over (commit). */
  #changed(swapped?: string): void {
    this.#settled = Promise.all(this.#listeners.map((listener) => listener(swapped)));
  }

  list(): Route[] {
    return [...this.#routes.values()].flatMap((paths) => [...paths.values()]).sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
  }
}
