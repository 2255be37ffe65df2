package microcore_test

import (
	"context"
	"time"

	microcore "microcore.dev/sdk/go"
)

type nightly struct{}

// The example in docs/tools/scheduler.md. Having no Output comment, it is
// compiled but not run (the scheduler needs a kernel).
func (nightly) OnBoot(ctx context.Context, k *microcore.Kernel) error {
	s := k.Scheduler()
	// Every boot: the same expression keeps its next run.
	if _, err := s.Every(ctx, "nightly", "0 3 * * *", "report.nightly", map[string]any{"kind": "daily"}); err != nil {
		return err
	}
	next, err := s.After(ctx, "warm-up", 10*time.Minute, "report.warm", nil)
	if err != nil {
		return err
	}
	if err := k.Logger.Info(ctx, "warm-up at "+next.Format(time.RFC3339), nil); err != nil {
		return err
	}
	jobs, err := s.List(ctx) // []*microcorev1.ScheduledJob, by name
	if err != nil || len(jobs) == 0 {
		return err
	}
	_, err = s.Cancel(ctx, "warm-up") // true: it was there
	return err
}

func ExampleScheduler() {
	microcore.Serve(nightly{})
}
