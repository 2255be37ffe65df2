//! The scheduler's methods through the SDK's public wrappers, the way a plugin
//! calls them: `every` for a cron job, `after` for a delayed one, `schedule`
//! when the request carries an envelope key (or both kinds, to meet the kernel's
//! refusal); Cancel and List answer their messages whole.

use microcore::pb::{SchedulerCancelResponse, SchedulerListResponse};
use microcore::scheduler::{self, ScheduleRequest};
use microcore::{codes, Error, Value};
use prost::Message;

/// `tool.method` when it is the scheduler's; None for any other tool.
pub fn call(tool: &str, method: &str, raw: &[u8]) -> Option<Result<Vec<u8>, Error>> {
    (tool == "scheduler").then(|| answer(method, raw))
}

fn answer(method: &str, raw: &[u8]) -> Result<Vec<u8>, Error> {
    Ok(match method {
        "Schedule" => {
            let r = decode::<ScheduleRequest>(raw)?;
            let payload = r.payload.clone().unwrap_or_else(Value::null);
            let response = if !r.key.is_empty() || (!r.cron.is_empty() && r.delay_ms != 0) {
                scheduler::schedule(r)?
            } else if !r.cron.is_empty() {
                scheduler::every(&r.name, &r.cron, &r.topic, payload)?
            } else {
                scheduler::after(&r.name, r.delay_ms, &r.topic, payload)?
            };
            response.encode_to_vec()
        }
        "Cancel" => {
            let r = decode::<microcore::pb::SchedulerCancelRequest>(raw)?;
            SchedulerCancelResponse { cancelled: scheduler::cancel(&r.name)? }.encode_to_vec()
        }
        "List" => SchedulerListResponse { jobs: scheduler::list()? }.encode_to_vec(),
        _ => {
            return Err(Error::new(codes::INVALID_ARGUMENT, format!("conformance probe (rust): no such tool method scheduler.{method}")))
        }
    })
}

fn decode<M: Message + Default>(raw: &[u8]) -> Result<M, Error> {
    M::decode(raw).map_err(|e| Error::new(codes::INVALID_ARGUMENT, format!("conformance probe: bad request message: {e}")))
}
