//! The scheduler tool (proto/microcore/v1/scheduler.proto): named jobs that
//! publish a bus event on a cron schedule or once after a delay. Jobs belong to
//! the plugin and survive restarts; scheduling a name again replaces that job
//! (a cron job of the same expression keeps its next run), so `on_boot` may
//! schedule the plugin's jobs on every boot:
//!
//! ```no_run
//! // The example in docs/tools/scheduler.md.
//! use microcore::{scheduler, Error, OnBootRequest, Value, ValueMap};
//!
//! fn on_boot(_: OnBootRequest) -> Result<(), Error> {
//!     scheduler::every("nightly", "0 3 * * *", "report.nightly", ValueMap::from_iter([("kind", "daily")]))?;
//!     let once = scheduler::after("warm-up", 600_000, "report.warm", Value::null())?;
//!     let _fires_at_ms = once.next_run_ms;
//!     let _jobs = scheduler::list()?; // Vec<ScheduledJob>, by name
//!     let _was_there = scheduler::cancel("warm-up")?;
//!     Ok(())
//! }
//! # fn main() { let _ = on_boot; }
//! ```

use crate::call::call;
use crate::pb::{SchedulerCancelRequest, SchedulerCancelResponse, SchedulerListRequest, SchedulerListResponse};
use crate::{Error, Value};

pub use crate::pb::{ScheduleRequest, ScheduleResponse, ScheduledJob};

const TOOL: &str = "scheduler";

/// Scheduler.Schedule with a cron expression: `payload` on `topic` at each tick
/// (UTC; five fields, or six with seconds first). Answers when it fires next; an
/// invalid expression is `MC_ERR_INVALID_ARGUMENT` naming the field.
pub fn every(name: &str, cron: &str, topic: &str, payload: impl Into<Value>) -> Result<ScheduleResponse, Error> {
    schedule(ScheduleRequest {
        name: name.into(),
        cron: cron.into(),
        topic: topic.into(),
        payload: Some(payload.into()),
        ..Default::default()
    })
}

/// Scheduler.Schedule with a delay: `payload` on `topic` once, `delay_ms` from
/// now (0: as soon as possible); then the job is gone.
pub fn after(name: &str, delay_ms: i64, topic: &str, payload: impl Into<Value>) -> Result<ScheduleResponse, Error> {
    schedule(ScheduleRequest {
        name: name.into(),
        delay_ms,
        topic: topic.into(),
        payload: Some(payload.into()),
        ..Default::default()
    })
}

/// Scheduler.Schedule with every field of the contract (the envelope's key, say).
pub fn schedule(request: ScheduleRequest) -> Result<ScheduleResponse, Error> {
    call(TOOL, "Schedule", &request)
}

/// Scheduler.Cancel: whether the plugin had a job of that name (now removed).
pub fn cancel(name: &str) -> Result<bool, Error> {
    call::<_, SchedulerCancelResponse>(TOOL, "Cancel", &SchedulerCancelRequest { name: name.into() })
        .map(|r| r.cancelled)
}

/// Scheduler.List: the plugin's jobs, by name.
pub fn list() -> Result<Vec<ScheduledJob>, Error> {
    call::<_, SchedulerListResponse>(TOOL, "List", &SchedulerListRequest {}).map(|r| r.jobs)
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use prost::Message;

    use super::*;
    use crate::pb::ToolCall;
    use crate::testing::{reset, respond, set_kernel};

    #[test]
    fn wrappers_send_the_contracts_messages() {
        reset();
        let calls: Rc<RefCell<Vec<ToolCall>>> = Rc::default();
        let seen = calls.clone();
        set_kernel(move |call| {
            seen.borrow_mut().push(call.clone());
            match call.method.as_str() {
                "Schedule" => {
                    let asked = ScheduleRequest::decode(call.request.as_slice()).unwrap();
                    respond(&ScheduleResponse { name: asked.name, next_run_ms: 1_767_236_400_000 })
                }
                "Cancel" => respond(&SchedulerCancelResponse { cancelled: true }),
                _ => respond(&SchedulerListResponse {
                    jobs: vec![ScheduledJob { name: "nightly".into(), ..Default::default() }],
                }),
            }
        });
        assert_eq!(every("nightly", "0 3 * * *", "report.run", 1i64).unwrap().next_run_ms, 1_767_236_400_000);
        assert_eq!(after("soon", 50, "report.run", Value::null()).unwrap().name, "soon");
        assert_eq!(cancel("nightly"), Ok(true));
        assert_eq!(list().unwrap()[0].name, "nightly");

        let calls = calls.borrow();
        let methods: Vec<_> = calls.iter().map(|c| (c.tool.as_str(), c.method.as_str())).collect();
        assert_eq!(
            methods,
            [("scheduler", "Schedule"), ("scheduler", "Schedule"), ("scheduler", "Cancel"), ("scheduler", "List")]
        );
        let every = ScheduleRequest::decode(calls[0].request.as_slice()).unwrap();
        assert_eq!((every.cron.as_str(), every.delay_ms, every.payload), ("0 3 * * *", 0, Some(Value::from(1i64))));
        let after = ScheduleRequest::decode(calls[1].request.as_slice()).unwrap();
        assert_eq!((after.cron.as_str(), after.delay_ms, after.topic.as_str()), ("", 50, "report.run"));
    }
}
