package microcore

import (
	"context"
	"time"

	"microcore.dev/sdk/go/gen/microcorev1"
)

// State is the state tool: values by key, in the plugin's own namespace.
type State struct{ c microcorev1.StateClient }

// Get reads a value; Found is false when the key is absent or expired.
func (s *State) Get(ctx context.Context, key string) (*microcorev1.StateGetResponse, error) {
	return s.c.Get(ctx, &microcorev1.StateGetRequest{Key: key})
}

// Set stores a value (converted as V does). A ttl of 0 keeps it until deleted.
func (s *State) Set(ctx context.Context, key string, value any, ttl time.Duration) error {
	v, err := V(value)
	if err != nil {
		return err
	}
	ms := ttl.Milliseconds()
	if ttl > 0 && ms == 0 {
		// The wire counts whole milliseconds and 0 means "forever"; a sub-millisecond
		// ttl must not turn into that.
		ms = 1
	}
	_, err = s.c.Set(ctx, &microcorev1.StateSetRequest{Key: key, Value: v, TtlMs: ms})
	return err
}

// Delete removes a value; Deleted says whether the key existed.
func (s *State) Delete(ctx context.Context, key string) (*microcorev1.StateDeleteResponse, error) {
	return s.c.Delete(ctx, &microcorev1.StateDeleteRequest{Key: key})
}
