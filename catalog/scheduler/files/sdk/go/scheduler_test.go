package microcore

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"microcore.dev/sdk/go/gen/microcorev1"
)

// schedulerConn answers the scheduler's methods as a kernel would and keeps
// each request, so a test sees exactly what the wrapper sent.
type schedulerConn struct {
	grpc.ClientConnInterface
	methods []string
	reqs    []proto.Message
}

func (c *schedulerConn) Invoke(_ context.Context, method string, args, reply any, _ ...grpc.CallOption) error {
	c.methods = append(c.methods, method)
	c.reqs = append(c.reqs, args.(proto.Message))
	switch r := reply.(type) {
	case *microcorev1.ScheduleResponse:
		r.Name, r.NextRunMs = args.(*microcorev1.ScheduleRequest).GetName(), 1_767_236_400_000
	case *microcorev1.SchedulerCancelResponse:
		r.Cancelled = true
	case *microcorev1.SchedulerListResponse:
		r.Jobs = []*microcorev1.ScheduledJob{{Name: "nightly", Cron: "0 3 * * *"}}
	}
	return nil
}

func TestSchedulerWrappersSendTheContractsMessages(t *testing.T) {
	conn := &schedulerConn{}
	s := (&Kernel{conn: conn}).Scheduler()
	ctx := context.Background()

	next, err := s.Every(ctx, "nightly", "0 3 * * *", "report.run", map[string]any{"n": int64(1)})
	if err != nil || !next.Equal(time.UnixMilli(1_767_236_400_000)) || next.Location() != time.UTC {
		t.Fatalf("Every = %v, %v", next, err)
	}
	if _, err := s.After(ctx, "soon", 500*time.Microsecond, "report.run", nil); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Cancel(ctx, "nightly"); !ok || err != nil {
		t.Fatalf("Cancel = %v, %v", ok, err)
	}
	if jobs, err := s.List(ctx); err != nil || len(jobs) != 1 || jobs[0].GetName() != "nightly" {
		t.Fatalf("List = %v, %v", jobs, err)
	}
	if _, err := s.After(ctx, "bad", 0, "report.run", make(chan int)); CodeOf(err) != CodeValueUnsupported {
		t.Fatalf("a payload V cannot convert: %v", err)
	}

	want := []string{"/microcore.v1.Scheduler/Schedule", "/microcore.v1.Scheduler/Schedule", "/microcore.v1.Scheduler/Cancel", "/microcore.v1.Scheduler/List"}
	if len(conn.methods) != len(want) {
		t.Fatalf("methods = %v, want %v", conn.methods, want)
	}
	for i, m := range want {
		if conn.methods[i] != m {
			t.Fatalf("call %d = %s, want %s", i, conn.methods[i], m)
		}
	}
	every := conn.reqs[0].(*microcorev1.ScheduleRequest)
	if every.GetCron() != "0 3 * * *" || every.GetDelayMs() != 0 || every.GetTopic() != "report.run" || every.GetPayload().GetMapValue().GetFields()["n"].GetIntValue() != 1 {
		t.Fatalf("Every sent %v", every)
	}
	// A sub-millisecond delay waits one millisecond, not "now".
	if after := conn.reqs[1].(*microcorev1.ScheduleRequest); after.GetDelayMs() != 1 || after.GetCron() != "" || !isNull(after.GetPayload()) {
		t.Fatalf("After sent %v", after)
	}
}

func isNull(v *microcorev1.Value) bool {
	_, ok := v.GetKind().(*microcorev1.Value_NullValue)
	return ok
}
