package microcore

import (
	"encoding/json"
	"fmt"
	"os"
)

// logSDK is where the SDK says what no tool call can carry: a panicking
// handler, a parent that went away. A sidecar writes to stderr; a wasm module,
// whose stderr goes nowhere, logs through Extism instead (extism_wasip1.go).
var logSDK = logStderr

// logStderr writes one JSON line the kernel's logger keeps at its level (see
// "Start and handshake"). It is only for what the SDK itself has to say when no
// tool call can carry it: the parent is gone, a handler panicked.
func logStderr(level, msg string, fields map[string]any) {
	fmt.Fprintln(os.Stderr, jsonLine(level, msg, fields))
}

func jsonLine(level, msg string, fields map[string]any) string {
	line := map[string]any{"level": level, "msg": msg}
	for k, v := range fields {
		line[k] = v
	}
	b, err := json.Marshal(line)
	if err != nil {
		return fmt.Sprintf(`{"level":%q,"msg":%q}`, level, msg)
	}
	return string(b)
}
