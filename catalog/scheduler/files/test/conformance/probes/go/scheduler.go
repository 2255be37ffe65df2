package main

import (
	"context"
	"time"

	"google.golang.org/protobuf/proto"
	"microcore.dev/sdk/go/gen/microcorev1"
)

// The scheduler's methods through the SDK's public wrappers, the way a plugin
// calls them: Every for a cron job, After for a delayed one, Schedule when the
// request carries an envelope key (or both kinds, to meet the kernel's refusal).
func init() {
	catalogMethods["scheduler.Schedule"] = func(p *probe, ctx context.Context, raw []byte) (proto.Message, error) {
		r := &microcorev1.ScheduleRequest{}
		if err := proto.Unmarshal(raw, r); err != nil {
			return nil, err
		}
		s := p.k.Scheduler()
		if r.Key != "" || (r.Cron != "" && r.DelayMs != 0) {
			return s.Schedule(ctx, r)
		}
		var next time.Time
		var err error
		if r.Cron != "" {
			next, err = s.Every(ctx, r.Name, r.Cron, r.Topic, orNil(r.Payload))
		} else {
			next, err = s.After(ctx, r.Name, time.Duration(r.DelayMs)*time.Millisecond, r.Topic, orNil(r.Payload))
		}
		if err != nil {
			return nil, err
		}
		return &microcorev1.ScheduleResponse{Name: r.Name, NextRunMs: next.UnixMilli()}, nil
	}
	catalogMethods["scheduler.Cancel"] = func(p *probe, ctx context.Context, raw []byte) (proto.Message, error) {
		r := &microcorev1.SchedulerCancelRequest{}
		if err := proto.Unmarshal(raw, r); err != nil {
			return nil, err
		}
		cancelled, err := p.k.Scheduler().Cancel(ctx, r.Name)
		if err != nil {
			return nil, err
		}
		return &microcorev1.SchedulerCancelResponse{Cancelled: cancelled}, nil
	}
	catalogMethods["scheduler.List"] = func(p *probe, ctx context.Context, _ []byte) (proto.Message, error) {
		jobs, err := p.k.Scheduler().List(ctx)
		if err != nil {
			return nil, err
		}
		return &microcorev1.SchedulerListResponse{Jobs: jobs}, nil
	}
}
