package microcore

import (
	"encoding/json"
	"fmt"
	"os"
)

// logStderr writes one JSON line the kernel's logger keeps at its level (see
// "Start and handshake"). It is only for what the SDK itself has to say when no
// tool call can carry it: the parent is gone, a handler panicked.
func logStderr(level, msg string, fields map[string]any) {
	line := map[string]any{"level": level, "msg": msg}
	for k, v := range fields {
		line[k] = v
	}
	b, err := json.Marshal(line)
	if err != nil {
		b = []byte(fmt.Sprintf(`{"level":%q,"msg":%q}`, level, msg))
	}
	fmt.Fprintln(os.Stderr, string(b))
}
