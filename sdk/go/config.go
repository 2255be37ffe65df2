package microcore

import (
	"context"

	"microcore.dev/sdk/go/gen/microcorev1"
)

// Config is the config tool: settings from the project's .env and environment.
type Config struct{ c microcorev1.ConfigClient }

// Get reads one setting; Found is false when it is not set.
func (c *Config) Get(ctx context.Context, key string) (*microcorev1.ConfigGetResponse, error) {
	return c.c.Get(ctx, &microcorev1.ConfigGetRequest{Key: key})
}

// GetOr reads one setting and answers fallback (Found true) when it is not set:
// Config.Get with its default_value, as TS passes defaultValue and Rust Some(…).
func (c *Config) GetOr(ctx context.Context, key, fallback string) (*microcorev1.ConfigGetResponse, error) {
	return c.c.Get(ctx, &microcorev1.ConfigGetRequest{Key: key, DefaultValue: &fallback})
}

// Require fails with MC_ERR_CONFIG_MISSING unless every key is set and non-empty;
// call it in OnBoot to fail fast.
func (c *Config) Require(ctx context.Context, keys ...string) (*microcorev1.ConfigRequireResponse, error) {
	return c.c.Require(ctx, &microcorev1.ConfigRequireRequest{Keys: keys})
}
