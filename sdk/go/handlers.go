package microcore

import (
	"context"
	"strconv"
	"sync"

	"microcore.dev/sdk/go/gen/microcorev1"
)

// invokeFunc runs one registered handler for Plugin.Invoke.
type invokeFunc func(ctx context.Context, req *microcorev1.InvokeRequest) (*microcorev1.InvokeResponse, error)

type handler struct {
	label  string // what registered it, e.g. "POST /parity/go/values", for error details
	invoke invokeFunc
}

// handlerTable maps the ids the SDK gives the kernel (h1, h2, ...) to handlers.
// Ids are never reused, so a stale id from the kernel cannot reach a new handler.
type handlerTable struct {
	mu   sync.RWMutex
	last int
	byID map[string]handler
}

func newHandlerTable() *handlerTable {
	return &handlerTable{byID: map[string]handler{}}
}

func (t *handlerTable) add(label string, f invokeFunc) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.last++
	id := "h" + strconv.Itoa(t.last)
	t.byID[id] = handler{label: label, invoke: f}
	return id
}

func (t *handlerTable) get(id string) (handler, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	h, ok := t.byID[id]
	return h, ok
}

func (t *handlerTable) remove(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.byID, id)
}
