package microcore

import "context"

// Plugin is what a sidecar or a wasm module implements. OnBoot runs when the kernel calls
// Plugin.OnBoot: add endpoints and subscriptions there. A plugin that also has a method
// `OnShutdown(ctx context.Context) error` gets it called on Plugin.OnShutdown.
type Plugin interface {
	OnBoot(ctx context.Context, k *Kernel) error
}

type shutdowner interface {
	OnShutdown(ctx context.Context) error
}
