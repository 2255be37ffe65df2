//go:build !wasip1

package microcore

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"

	"google.golang.org/grpc"
)

const (
	parentPollInterval = 500 * time.Millisecond
	// gracePeriod bounds how long in-flight calls may finish after a stop; the
	// kernel's SIGKILL follows its own stop timeout anyway.
	gracePeriod = 5 * time.Second
)

// lifetimeContext ends on SIGTERM, SIGINT, or when the parent (the kernel) exits.
// A dead parent cannot be waited on portably, so the parent pid is polled: once
// the kernel is gone the sidecar is reparented and Getppid changes.
func lifetimeContext() (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	go watchParent(ctx, stop, os.Getppid(), parentPollInterval)
	return ctx, stop
}

func watchParent(ctx context.Context, stop context.CancelFunc, parent int, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if os.Getppid() != parent {
				logStderr("warn", "the kernel that started this sidecar exited; stopping",
					map[string]any{"parentPid": parent})
				stop()
				return
			}
		}
	}
}

// stopGracefully lets in-flight calls finish, but not for longer than limit.
func stopGracefully(srv *grpc.Server, limit time.Duration) {
	done := make(chan struct{})
	go func() {
		srv.GracefulStop()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(limit):
		srv.Stop()
		<-done
	}
}
