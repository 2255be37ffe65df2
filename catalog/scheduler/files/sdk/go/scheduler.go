package microcore

import (
	"context"
	"time"

	"microcore.dev/sdk/go/gen/microcorev1"
)

// Scheduler is the scheduler tool (proto/microcore/v1/scheduler.proto): named
// jobs that publish a bus event on a cron schedule or once after a delay. Jobs
// belong to the plugin and survive restarts; scheduling a name again replaces
// that job (a cron job of the same expression keeps its next run), so OnBoot may
// schedule the plugin's jobs on every boot:
//
//	next, err := k.Scheduler().Every(ctx, "nightly-report", "0 3 * * *", "report.run", map[string]any{"kind": "daily"})
type Scheduler struct{ c microcorev1.SchedulerClient }

// Scheduler returns the scheduler tool. Its calls are refused with
// MC_ERR_CAP_DENIED unless the manifest's needs list "scheduler".
func (k *Kernel) Scheduler() *Scheduler {
	return &Scheduler{c: microcorev1.NewSchedulerClient(k.conn)}
}

// Every schedules a job that publishes payload (converted as V does) on topic at
// each tick of cron: UTC, five fields (minute hour day-of-month month
// day-of-week) or six with seconds first. It returns when the job fires next. An
// invalid expression is MC_ERR_INVALID_ARGUMENT naming the field.
func (s *Scheduler) Every(ctx context.Context, name, cron, topic string, payload any) (time.Time, error) {
	return s.schedule(ctx, &microcorev1.ScheduleRequest{Name: name, Cron: cron, Topic: topic}, payload)
}

// After schedules a one-off job: payload on topic once delay has passed (0: as
// soon as possible), after which the job is gone. It returns when the job fires.
func (s *Scheduler) After(ctx context.Context, name string, delay time.Duration, topic string, payload any) (time.Time, error) {
	ms := delay.Milliseconds()
	if delay > 0 && ms == 0 {
		// The wire counts whole milliseconds; a sub-millisecond delay still waits one.
		ms = 1
	}
	return s.schedule(ctx, &microcorev1.ScheduleRequest{Name: name, DelayMs: ms, Topic: topic}, payload)
}

// Schedule is Every and After with every field of the contract (the envelope's
// key, say), as the kernel answers it.
func (s *Scheduler) Schedule(ctx context.Context, req *microcorev1.ScheduleRequest) (*microcorev1.ScheduleResponse, error) {
	return s.c.Schedule(ctx, req)
}

// Cancel removes one of the plugin's jobs and reports whether it had one.
func (s *Scheduler) Cancel(ctx context.Context, name string) (bool, error) {
	resp, err := s.c.Cancel(ctx, &microcorev1.SchedulerCancelRequest{Name: name})
	if err != nil {
		return false, err
	}
	return resp.GetCancelled(), nil
}

// List returns the plugin's jobs, by name.
func (s *Scheduler) List(ctx context.Context) ([]*microcorev1.ScheduledJob, error) {
	resp, err := s.c.List(ctx, &microcorev1.SchedulerListRequest{})
	if err != nil {
		return nil, err
	}
	return resp.GetJobs(), nil
}

func (s *Scheduler) schedule(ctx context.Context, req *microcorev1.ScheduleRequest, payload any) (time.Time, error) {
	v, err := toValue(payload, "payload")
	if err != nil {
		return time.Time{}, err
	}
	req.Payload = v
	resp, err := s.c.Schedule(ctx, req)
	if err != nil {
		return time.Time{}, err
	}
	return time.UnixMilli(resp.GetNextRunMs()).UTC(), nil
}
