package microcore

// The MicroCore error codes, one per value of the ErrorCode enum in
// proto/microcore/v1/error.proto, with ERROR_CODE_ replaced by MC_ERR_. They are
// written out (not built from microcorev1.ErrorCode_name) so they are constants an
// author can switch on; codes_test.go fails when the enum and this list differ.
const (
	// A plugin needs a tool no loaded tool serves.
	CodePluginMissingTool = "MC_ERR_PLUGIN_MISSING_TOOL"
	// A plugin threw while being constructed or in onBoot.
	CodePluginBoot = "MC_ERR_PLUGIN_BOOT"
	// A lifecycle step did not finish within its time limit.
	CodeLifecycleTimeout = "MC_ERR_LIFECYCLE_TIMEOUT"
	// A sidecar.json or plugin.json is missing a field or has a wrong one.
	CodeManifestInvalid = "MC_ERR_MANIFEST_INVALID"
	// Two tool folders serve the same contract name.
	CodeToolDuplicate = "MC_ERR_TOOL_DUPLICATE"
	// A tool failed to set up.
	CodeToolSetup = "MC_ERR_TOOL_SETUP"
	// A plugin called a tool it did not declare.
	CodeCapDenied = "MC_ERR_CAP_DENIED"
	// A call named a tool or method the contract does not have.
	CodeGatewayUnknownMethod = "MC_ERR_GATEWAY_UNKNOWN_METHOD"
	// A call's message could not be decoded or converted.
	CodeGatewayBadMessage = "MC_ERR_GATEWAY_BAD_MESSAGE"
	// The caller showed no TLS client certificate of a sidecar the kernel started.
	CodeGatewayUnauthenticated = "MC_ERR_GATEWAY_UNAUTHENTICATED"
	// A sidecar did not complete the handshake.
	CodeSidecarHandshake = "MC_ERR_SIDECAR_HANDSHAKE"
	// A sidecar is not running, so a call to it cannot be made.
	CodeSidecarDown = "MC_ERR_SIDECAR_DOWN"
	// A wasm module could not be loaded (file, sha256, instantiation).
	CodeWasmLoad = "MC_ERR_WASM_LOAD"
	// A wasm call trapped or returned a malformed result.
	CodeWasmTrap = "MC_ERR_WASM_TRAP"
	// A wasm call ran past its time limit.
	CodeWasmTimeout = "MC_ERR_WASM_TIMEOUT"
	// A plugin's handler threw or returned an error.
	CodeHandlerFailed = "MC_ERR_HANDLER_FAILED"
	// No handler with that id is registered for the plugin.
	CodeHandlerUnknown = "MC_ERR_HANDLER_UNKNOWN"
	// The database rejected a statement for a reason other than a constraint or a
	// lock (syntax, an unknown table or column, wrong parameters).
	CodeDbQuery = "MC_ERR_DB_QUERY"
	// A migration file failed to apply.
	CodeDbMigration = "MC_ERR_DB_MIGRATION"
	// An HTTP request body failed the endpoint's JSON schema.
	CodeHttpValidation = "MC_ERR_HTTP_VALIDATION"
	// An HTTP request body is not valid JSON.
	CodeHttpMalformed = "MC_ERR_HTTP_MALFORMED"
	// No endpoint matches the method and path.
	CodeHttpNotFound = "MC_ERR_HTTP_NOT_FOUND"
	// An endpoint was added twice, or with a bad method or path.
	CodeHttpRoute = "MC_ERR_HTTP_ROUTE"
	// A required configuration key is not set.
	CodeConfigMissing = "MC_ERR_CONFIG_MISSING"
	// An internal failure; the message says where. Report it.
	CodeInternal = "MC_ERR_INTERNAL"
	// A value cannot be represented in the contract's Value type.
	CodeValueUnsupported = "MC_ERR_VALUE_UNSUPPORTED"
	// The request was invalid (a wrong argument to a tool method).
	CodeInvalidArgument = "MC_ERR_INVALID_ARGUMENT"
	// What a handler looked for does not exist (HTTP 404).
	CodeNotFound = "MC_ERR_NOT_FOUND"
	// The request conflicts with existing data (HTTP 409).
	CodeConflict = "MC_ERR_CONFLICT"
	// A bus request got no answer within its timeout.
	CodeBusTimeout = "MC_ERR_BUS_TIMEOUT"
	// A tool is not in a state to serve calls (not set up, shut down, dead).
	CodeToolUnavailable = "MC_ERR_TOOL_UNAVAILABLE"
	// A bus request named a topic no plugin subscribes to.
	CodeBusNoSubscriber = "MC_ERR_BUS_NO_SUBSCRIBER"
	// A wasm module's call waited on a call into the same instance.
	CodeWasmReentrant = "MC_ERR_WASM_REENTRANT"
	// A publish was refused (bad topic, payload too large).
	CodeBusPublish = "MC_ERR_BUS_PUBLISH"
	// A statement broke a UNIQUE or PRIMARY KEY constraint (HTTP 409).
	CodeDbUnique = "MC_ERR_DB_UNIQUE"
	// A statement broke a FOREIGN KEY, CHECK or NOT NULL constraint (HTTP 409).
	CodeDbConstraint = "MC_ERR_DB_CONSTRAINT"
	// The database stayed locked past the busy timeout (HTTP 503); retry later.
	CodeDbBusy = "MC_ERR_DB_BUSY"
	// An endpoint's auth validator refused the request (HTTP 401).
	CodeHttpUnauthorized = "MC_ERR_HTTP_UNAUTHORIZED"
	// An event was sent to a stream whose client has gone.
	CodeHttpStreamClosed = "MC_ERR_HTTP_STREAM_CLOSED"
	// A request body is larger than HTTP_BODY_LIMIT (HTTP 413).
	CodeHttpTooLarge = "MC_ERR_HTTP_TOO_LARGE"
	// A request body's Content-Type is not application/json (HTTP 415).
	CodeHttpUnsupportedMedia = "MC_ERR_HTTP_UNSUPPORTED_MEDIA"
	// A request's handler did not answer within its deadline (HTTP 504).
	CodeHttpTimeout = "MC_ERR_HTTP_TIMEOUT"
	// Two plugins have one identity, or a domain folder uses a reserved name.
	CodePluginIdentity = "MC_ERR_PLUGIN_IDENTITY"
	// A sidecar's or wasm module's last build (`microcore build`, or the rebuild
	// in `microcore dev`) failed. The reason holds the compiler's last lines and
	// says whether the previous build still serves. details: plugin.
	CodePluginBuild = "MC_ERR_PLUGIN_BUILD"
	// A message between the kernel and a plugin is larger than MC_MESSAGE_LIMIT_BYTES.
	CodeMessageTooLarge = "MC_ERR_MESSAGE_TOO_LARGE"
	// A payload or reply on a declared topic fails its owner's schema.
	CodeBusSchema = "MC_ERR_BUS_SCHEMA"
)
