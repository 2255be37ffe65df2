// The kernel's error registry: every error MicroCore raises is an McError with a
// code from proto/microcore/v1/error.proto (ErrorCode), built by mcError(). The
// registry adds what the code alone cannot say: the HTTP status it maps to, the
// gRPC status code, and the fix a reader should try. A test keeps this table and
// the proto enum identical.

export const ERROR_CODES = [
  'MC_ERR_PLUGIN_MISSING_TOOL',
  'MC_ERR_PLUGIN_BOOT',
  'MC_ERR_LIFECYCLE_TIMEOUT',
  'MC_ERR_MANIFEST_INVALID',
  'MC_ERR_TOOL_DUPLICATE',
  'MC_ERR_TOOL_SETUP',
  'MC_ERR_CAP_DENIED',
  'MC_ERR_GATEWAY_UNKNOWN_METHOD',
  'MC_ERR_GATEWAY_BAD_MESSAGE',
  'MC_ERR_GATEWAY_UNAUTHENTICATED',
  'MC_ERR_SIDECAR_HANDSHAKE',
  'MC_ERR_SIDECAR_DOWN',
  'MC_ERR_WASM_LOAD',
  'MC_ERR_WASM_TRAP',
  'MC_ERR_WASM_TIMEOUT',
  'MC_ERR_HANDLER_FAILED',
  'MC_ERR_HANDLER_UNKNOWN',
  'MC_ERR_DB_QUERY',
  'MC_ERR_DB_MIGRATION',
  'MC_ERR_HTTP_VALIDATION',
  'MC_ERR_HTTP_MALFORMED',
  'MC_ERR_HTTP_NOT_FOUND',
  'MC_ERR_HTTP_ROUTE',
  'MC_ERR_CONFIG_MISSING',
  'MC_ERR_INTERNAL',
  'MC_ERR_VALUE_UNSUPPORTED',
  'MC_ERR_INVALID_ARGUMENT',
  'MC_ERR_NOT_FOUND',
  'MC_ERR_CONFLICT',
  'MC_ERR_BUS_TIMEOUT',
  'MC_ERR_TOOL_UNAVAILABLE',
  'MC_ERR_BUS_NO_SUBSCRIBER',
  'MC_ERR_WASM_REENTRANT',
  'MC_ERR_BUS_PUBLISH',
  'MC_ERR_DB_UNIQUE',
  'MC_ERR_DB_CONSTRAINT',
  'MC_ERR_DB_BUSY',
  'MC_ERR_HTTP_UNAUTHORIZED',
  'MC_ERR_HTTP_STREAM_CLOSED',
  'MC_ERR_HTTP_TOO_LARGE',
  'MC_ERR_HTTP_UNSUPPORTED_MEDIA',
  'MC_ERR_HTTP_TIMEOUT',
  'MC_ERR_PLUGIN_IDENTITY',
  'MC_ERR_PLUGIN_BUILD',
  'MC_ERR_MESSAGE_TOO_LARGE',
  'MC_ERR_BUS_SCHEMA',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

// gRPC status codes used on the sidecar wire (docs/protocol.md, "Errors").
const GRPC = { UNKNOWN: 2, INVALID_ARGUMENT: 3, NOT_FOUND: 5, PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, UNIMPLEMENTED: 12, UNAVAILABLE: 14, UNAUTHENTICATED: 16 } as const;

interface ErrorEntry {
  /** HTTP status when this error answers a request. */
  http: number;
  /** gRPC status code when this error answers a sidecar's tool call. */
  grpc: number;
  /** What to do about it; appended to every message. Never empty. */
  fix: string;
}

export const ERRORS: Record<ErrorCode, ErrorEntry> = {
  MC_ERR_PLUGIN_MISSING_TOOL: { http: 500, grpc: GRPC.UNKNOWN, fix: 'Add the tool under tools/, or remove it from the constructor (a default value makes it optional) or from the manifest\'s "needs".' },
  MC_ERR_PLUGIN_BOOT: { http: 500, grpc: GRPC.UNKNOWN, fix: 'Fix the error in the plugin\'s constructor or onBoot; the cause is attached.' },
  MC_ERR_PLUGIN_BUILD: { http: 500, grpc: GRPC.UNKNOWN, fix: 'Fix the build error (the compiler\'s last lines follow) and run `microcore build`; `microcore dev` rebuilds on save.' },
  MC_ERR_LIFECYCLE_TIMEOUT: { http: 500, grpc: GRPC.UNKNOWN, fix: 'Make the step finish sooner (an await that never resolves is the usual cause), or raise its timeout.' },
  MC_ERR_MANIFEST_INVALID: { http: 500, grpc: GRPC.UNKNOWN, fix: 'Correct the manifest field named; docs/manifests.md lists every field with its default.' },
  MC_ERR_TOOL_DUPLICATE: { http: 500, grpc: GRPC.UNKNOWN, fix: 'Keep one of the two tool folders, or change the contract name one of them declares.' },
  MC_ERR_TOOL_SETUP: { http: 500, grpc: GRPC.UNKNOWN, fix: 'Fix the tool\'s setup (its configuration is the usual cause); plugins that need it stay down until then.' },
  MC_ERR_CAP_DENIED: { http: 403, grpc: GRPC.PERMISSION_DENIED, fix: 'Declare the tool: a constructor parameter for a native plugin, "needs" in sidecar.json or plugin.json.' },
  MC_ERR_GATEWAY_UNKNOWN_METHOD: { http: 500, grpc: GRPC.UNIMPLEMENTED, fix: 'Call a tool and method that proto/microcore/v1 defines (AI_CONTEXT.md lists them).' },
  MC_ERR_GATEWAY_BAD_MESSAGE: { http: 400, grpc: GRPC.INVALID_ARGUMENT, fix: 'Send the request message the method declares, encoded with the generated code of proto/microcore/v1.' },
  MC_ERR_GATEWAY_UNAUTHENTICATED: { http: 401, grpc: GRPC.UNAUTHENTICATED, fix: 'Only a sidecar the kernel started may call its tools: over TLS, with the certificate its handshake line printed, trusting MICROCORE_KERNEL_CERT (docs/protocol.md, "Credentials"); the SDKs do this for you.' },
  MC_ERR_SIDECAR_HANDSHAKE: { http: 500, grpc: GRPC.UNKNOWN, fix: 'Build the sidecar (npm run build) and check it prints the handshake line described in docs/protocol.md.' },
  MC_ERR_SIDECAR_DOWN: { http: 503, grpc: GRPC.UNAVAILABLE, fix: 'Look at the sidecar\'s last log lines and its status in the boot report.' },
  MC_ERR_WASM_LOAD: { http: 500, grpc: GRPC.UNKNOWN, fix: 'Build the module (npm run build) and check the manifest\'s "module" path and "sha256".' },
  MC_ERR_WASM_TRAP: { http: 500, grpc: GRPC.UNKNOWN, fix: 'Fix the wasm plugin (the trap message is attached); if it ran out of memory, raise "limits.memoryMaxPages" in plugin.json.' },
  MC_ERR_WASM_TIMEOUT: { http: 504, grpc: GRPC.UNKNOWN, fix: 'Make the call faster, or raise "limits.timeoutMs" in plugin.json.' },
  MC_ERR_HANDLER_FAILED: { http: 500, grpc: GRPC.UNKNOWN, fix: 'Fix the handler; its error is attached as the cause.' },
  MC_ERR_HANDLER_UNKNOWN: { http: 500, grpc: GRPC.NOT_FOUND, fix: 'Register the handler in onBoot before the kernel invokes it.' },
  MC_ERR_DB_QUERY: { http: 500, grpc: GRPC.UNKNOWN, fix: 'Fix the SQL or its parameters; the database\'s message is attached.' },
  MC_ERR_DB_MIGRATION: { http: 500, grpc: GRPC.UNKNOWN, fix: 'Fix the migration file named; nothing of it was applied.' },
  MC_ERR_DB_UNIQUE: { http: 409, grpc: GRPC.UNKNOWN, fix: 'Use a value no stored row has in those columns, or update the existing row instead.' },
  MC_ERR_DB_CONSTRAINT: { http: 409, grpc: GRPC.UNKNOWN, fix: 'Send values the table accepts: a referenced row that exists, a value for each NOT NULL column, one that passes the CHECK named.' },
  MC_ERR_DB_BUSY: { http: 503, grpc: GRPC.UNAVAILABLE, fix: 'Retry the call; if it keeps happening, shorten the other connection\'s transactions or raise DATABASE_BUSY_TIMEOUT_MS.' },
  MC_ERR_HTTP_VALIDATION: { http: 422, grpc: GRPC.INVALID_ARGUMENT, fix: 'Send a body that matches the endpoint\'s schema (see /docs).' },
  MC_ERR_HTTP_MALFORMED: { http: 400, grpc: GRPC.INVALID_ARGUMENT, fix: 'Send a well-formed JSON body with Content-Type: application/json.' },
  MC_ERR_HTTP_NOT_FOUND: { http: 404, grpc: GRPC.NOT_FOUND, fix: 'Check the method and path; /docs lists every endpoint.' },
  MC_ERR_HTTP_ROUTE: { http: 500, grpc: GRPC.INVALID_ARGUMENT, fix: 'Use a method of GET, POST, PUT, PATCH, DELETE and a path no other plugin has taken.' },
  MC_ERR_CONFIG_MISSING: { http: 500, grpc: GRPC.NOT_FOUND, fix: 'Set the key in the project\'s .env or in the environment.' },
  MC_ERR_INTERNAL: { http: 500, grpc: GRPC.UNKNOWN, fix: 'This is a MicroCore bug: report it with the message and the cause.' },
  MC_ERR_VALUE_UNSUPPORTED: { http: 500, grpc: GRPC.INVALID_ARGUMENT, fix: 'Pass null, a boolean, a number, a bigint, a string, bytes, an array or a plain object.' },
  MC_ERR_INVALID_ARGUMENT: { http: 400, grpc: GRPC.INVALID_ARGUMENT, fix: 'Correct the argument named; the contract in proto/microcore/v1 documents each field.' },
  MC_ERR_NOT_FOUND: { http: 404, grpc: GRPC.NOT_FOUND, fix: 'Check the id or key you asked for.' },
  MC_ERR_CONFLICT: { http: 409, grpc: GRPC.UNKNOWN, fix: 'Change the request so it does not clash with existing data.' },
  MC_ERR_BUS_TIMEOUT: { http: 504, grpc: GRPC.UNKNOWN, fix: 'Check that a plugin answers the topic and does so within the timeout.' },
  MC_ERR_BUS_NO_SUBSCRIBER: { http: 503, grpc: GRPC.UNAVAILABLE, fix: 'Subscribe a plugin to the topic (AI_CONTEXT.md lists who answers what), or check the topic\'s spelling.' },
  MC_ERR_WASM_REENTRANT: { http: 500, grpc: GRPC.UNKNOWN, fix: 'Do not bus.request a topic the same wasm plugin answers; split the answering handler into another plugin.' },
  MC_ERR_BUS_PUBLISH: { http: 500, grpc: GRPC.INVALID_ARGUMENT, fix: 'Use a dot-separated topic of letters, digits, - and _, and a payload under the size limit.' },
  MC_ERR_BUS_SCHEMA: { http: 500, grpc: GRPC.INVALID_ARGUMENT, fix: "Send what the topic's owner declared (AI_CONTEXT.md shows each declared topic's payload and reply); a field it does not name is refused too." },
  MC_ERR_HTTP_UNAUTHORIZED: { http: 401, grpc: GRPC.UNAUTHENTICATED, fix: 'Send the credentials the endpoint\'s auth validator expects.' },
  MC_ERR_HTTP_STREAM_CLOSED: { http: 410, grpc: GRPC.NOT_FOUND, fix: 'Stop sending to this stream; the client reconnects on a new one.' },
  MC_ERR_HTTP_TOO_LARGE: { http: 413, grpc: GRPC.INVALID_ARGUMENT, fix: 'Send a smaller body, or raise HTTP_BODY_LIMIT.' },
  MC_ERR_HTTP_UNSUPPORTED_MEDIA: { http: 415, grpc: GRPC.INVALID_ARGUMENT, fix: 'Send the body as JSON with Content-Type: application/json (and UTF-8, the only charset JSON has).' },
  MC_ERR_HTTP_TIMEOUT: { http: 504, grpc: GRPC.UNKNOWN, fix: 'Make the handler answer sooner, or raise HTTP_HANDLER_TIMEOUT_MS (or the endpoint\'s timeoutMs).' },
  MC_ERR_PLUGIN_IDENTITY: { http: 500, grpc: GRPC.UNKNOWN, fix: 'Rename the plugin file or its folder so each identity is one plugin\'s, and no domain folder is named sidecar, wasm or tool.' },
  MC_ERR_MESSAGE_TOO_LARGE: { http: 500, grpc: GRPC.RESOURCE_EXHAUSTED, fix: 'Move less per call (page a query, pass ids rather than blobs), or raise MC_MESSAGE_LIMIT_BYTES.' },
  MC_ERR_TOOL_UNAVAILABLE: { http: 503, grpc: GRPC.UNAVAILABLE, fix: 'Look at the tool\'s status in the boot report (/system/status) for the reason.' },
};

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERRORS, code);
}

/** A MicroCore error. `message` already ends with the fix. */
export class McError extends Error {
  readonly code: string;
  readonly details: Record<string, string>;

  constructor(code: string, message: string, details: Record<string, string> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'McError';
    this.code = code;
    this.details = details;
  }

  /** The HTTP status this error answers with; unknown codes are 500. */
  get httpStatus(): number {
    return isErrorCode(this.code) ? ERRORS[this.code].http : 500;
  }
}

/**
 * The one factory for kernel and tool errors: `what` says what is wrong and where
 * (the file or plugin identity, the tool.method or manifest field, the value
 * received); the registry's fix is appended, or `fix` when the caller can be
 * more specific.
 */
export function mcError(code: ErrorCode, what: string, details: Record<string, string> = {}, cause?: unknown, fix: string = ERRORS[code].fix): McError {
  return new McError(code, errorText(code, what, fix), details, cause === undefined ? undefined : { cause });
}

/** "<code>: <what>. <fix>", the one shape of an error's message (no fix: none appended). */
function errorText(code: string, what: string, fix: string): string {
  return `${code}: ${what.trimEnd().replace(/\.$/, '')}.${fix ? ` ${fix}` : ''}`;
}

/**
 * Any thrown thing as an McError: McErrors pass unchanged; anything else is
 * wrapped in `code`, keeping the original as `cause`.
 */
export function toMcError(err: unknown, code: ErrorCode, where: string): McError {
  if (err instanceof McError) return err;
  const text = err instanceof Error ? err.message : String(err);
  return mcError(code, `${where}: ${text}`, {}, err);
}

/**
 * An error a sidecar's or wasm module's handler returned, in the shape a native
 * plugin's mcError has: "<code>: <what>. <fix>", the plugin's details unchanged.
 * A message already in that shape (a kernel error the handler passed on) stays.
 */
export function pluginError(identity: string, e: { code: string; message: string; details: Record<string, string>; fix: string }): McError {
  if (!e.message) return mcError('MC_ERR_HANDLER_FAILED', `${identity} failed without a message`, { plugin: identity, code: e.code });
  const code = e.code || 'MC_ERR_HANDLER_FAILED';
  if (e.message.startsWith(`${code}: `)) return new McError(code, e.message, e.details);
  const fix = e.fix || (isErrorCode(code) ? ERRORS[code].fix : '');
  return new McError(code, errorText(code, e.message, fix), e.details);
}

// Errors that came out of a plugin's handler (through the kernel's invoke) are
// the plugin's, not the tool's that relayed them: they must not count against
// that tool's health.
const pluginErrors = new WeakSet<object>();

export function markFromPlugin(err: unknown): unknown {
  if (typeof err === 'object' && err !== null) pluginErrors.add(err);
  return err;
}

export function isFromPlugin(err: unknown): boolean {
  return typeof err === 'object' && err !== null && pluginErrors.has(err);
}

/** Runs a call into a plugin: what it throws, or rejects with, is marked as the plugin's. */
export function fromPlugin<T>(run: () => T | Promise<T>): T | Promise<T> {
  let out;
  try {
    out = run();
  } catch (err) {
    throw markFromPlugin(err);
  }
  if (!(out instanceof Promise)) return out;
  return out.catch((err: unknown) => {
    throw markFromPlugin(err);
  });
}
