//! The switch over tool methods: decode the request with the generated types,
//! call the SDK's public wrapper, encode the response message. Methods that
//! take a handler get the fixed ones every probe uses: an endpoint echoes body,
//! auth and params; a subscription keeps the payload in state under
//! seen.<topic> and answers it; a stream sends one event on connect; a
//! validator accepts the x-user header.

use microcore::pb::*;
use microcore::{bus, codes, config, db, http, logger, state, Error, Value, ValueMap};
use prost::Message;

fn decode<M: Message + Default>(raw: &[u8]) -> Result<M, Error> {
    M::decode(raw).map_err(|e| Error::new(codes::INVALID_ARGUMENT, format!("conformance probe: bad request message: {e}")))
}

fn statement(s: Statement) -> db::Statement {
    db::Statement::new(s.sql, s.params)
}

pub fn pad_sql(raw: &[u8], pad: usize) -> Result<Vec<u8>, Error> {
    let mut r: ExecuteRequest = decode(raw)?;
    r.sql.push_str(&" ".repeat(pad));
    Ok(r.encode_to_vec())
}

pub fn call(tool: &str, method: &str, raw: &[u8]) -> Result<Vec<u8>, Error> {
    let bytes = match (tool, method) {
        ("db", "Query") => {
            let r: QueryRequest = decode(raw)?;
            db::query(&r.sql, r.params)?.encode_to_vec()
        }
        ("db", "QueryOne") => {
            let r: QueryOneRequest = decode(raw)?;
            db::query_one(&r.sql, r.params)?.encode_to_vec()
        }
        ("db", "Execute") => {
            let r: ExecuteRequest = decode(raw)?;
            db::execute(&r.sql, r.params)?.encode_to_vec()
        }
        ("db", "Transaction") => {
            let r: TransactionRequest = decode(raw)?;
            db::transaction(r.statements.into_iter().map(statement).collect())?.encode_to_vec()
        }
        ("db", "DescribeSchema") => db::describe_schema()?.encode_to_vec(),
        ("bus", "Publish") => {
            let r: PublishRequest = decode(raw)?;
            PublishResponse { id: bus::publish(&r.topic, r.payload.unwrap_or_else(Value::null), &r.key)? }.encode_to_vec()
        }
        ("bus", "Request") => {
            let r: BusRequestRequest = decode(raw)?;
            let payload = bus::request(&r.topic, r.payload.unwrap_or_else(Value::null), r.timeout_ms)?;
            BusRequestResponse { payload: Some(payload) }.encode_to_vec()
        }
        ("bus", "Subscribe") => {
            let r: SubscribeRequest = decode(raw)?;
            let mut s = bus::Subscription::new(r.topic).max_retries(r.max_retries);
            if !r.group.is_empty() {
                s = s.group(r.group);
            }
            if r.broadcast {
                s = s.broadcast();
            }
            let id = bus::subscribe(s, |event| {
                let payload = event.payload.unwrap_or_else(Value::null);
                state::set(&format!("seen.{}", event.topic), payload.clone(), 0)?;
                Ok(payload)
            })?;
            SubscribeResponse { subscription_id: id }.encode_to_vec()
        }
        ("bus", "Unsubscribe") => {
            let r: UnsubscribeRequest = decode(raw)?;
            bus::unsubscribe(&r.subscription_id)?;
            UnsubscribeResponse {}.encode_to_vec()
        }
        ("bus", "DeclareTopic") => {
            let r: DeclareTopicRequest = decode(raw)?;
            bus::declare_topic(&r.topic, &r.payload_schema_json, &r.reply_schema_json, &r.summary)?;
            DeclareTopicResponse {}.encode_to_vec()
        }
        // Not in the probe's needs: the case is the kernel's refusal.
        ("system", "Status") => microcore::call_tool::<_, StatusResponse>("system", "Status", &StatusRequest {})?.encode_to_vec(),
        ("config", "Get") => {
            let r: ConfigGetRequest = decode(raw)?;
            config::get(&r.key, r.default_value.as_deref())?.encode_to_vec()
        }
        ("config", "Require") => {
            let r: ConfigRequireRequest = decode(raw)?;
            let keys: Vec<&str> = r.keys.iter().map(String::as_str).collect();
            config::require(&keys)?.encode_to_vec()
        }
        ("logger", "Log") => {
            let r: LogRequest = decode(raw)?;
            let level = logger::LogLevel::try_from(r.level).unwrap_or(logger::LogLevel::Unspecified);
            logger::log(level, &r.message, r.fields.iter().map(|(k, v)| (k.as_str(), v.clone())))?;
            LogResponse {}.encode_to_vec()
        }
        ("state", "Get") => {
            let r: StateGetRequest = decode(raw)?;
            state::get(&r.key)?.encode_to_vec()
        }
        ("state", "Set") => {
            let r: StateSetRequest = decode(raw)?;
            state::set(&r.key, r.value.unwrap_or_else(Value::null), r.ttl_ms)?;
            StateSetResponse {}.encode_to_vec()
        }
        ("state", "Delete") => {
            let r: StateDeleteRequest = decode(raw)?;
            state::delete(&r.key)?.encode_to_vec()
        }
        ("http", "AddEndpoint") => {
            let r: AddEndpointRequest = decode(raw)?;
            let e = http::Endpoint {
                method: r.method,
                path: r.path,
                body_schema_json: r.body_schema_json,
                response_schema_json: r.response_schema_json,
                success_status: r.success_status,
                summary: r.summary,
                tags: r.tags,
                auth: r.auth,
                timeout_ms: r.timeout_ms,
                params_schema_json: r.params_schema_json,
                query_schema_json: r.query_schema_json,
            };
            http::add_endpoint(e, |req| {
                // x-slow: wait on a reply the recorder gives after 300 ms, past a short endpoint timeout.
                if req.headers.contains_key("x-slow") {
                    bus::request("conf.slow", Value::null(), 2000)?;
                }
                let params = ValueMap::from_iter(req.params.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str()))));
                Ok(http::response(ValueMap::from_iter([
                    ("body", req.body.unwrap_or_else(Value::null)),
                    ("auth", req.auth.unwrap_or_else(Value::null)),
                    ("params", Value::from(params)),
                ])))
            })?;
            AddEndpointResponse {}.encode_to_vec()
        }
        ("http", "AddStream") => {
            let r: AddStreamRequest = decode(raw)?;
            http::add_stream(&r.path, |req| {
                let data = ValueMap::from_iter([("big", Value::from(9_007_199_254_740_993_i64)), ("text", Value::from("é🚀"))]);
                http::send_event(&req.stream_id, "hello", data, "1")
            })?;
            AddStreamResponse {}.encode_to_vec()
        }
        ("http", "SendEvent") => {
            let r: SendEventRequest = decode(raw)?;
            http::send_event(&r.stream_id, &r.event, r.data.unwrap_or_else(Value::null), &r.id)?;
            SendEventResponse {}.encode_to_vec()
        }
        ("http", "AddAuthValidator") => {
            let r: AddAuthValidatorRequest = decode(raw)?;
            http::add_auth_validator(&r.name, |req| {
                Ok(match req.headers.get("x-user") {
                    Some(user) if !user.is_empty() => Value::from(ValueMap::from_iter([("user", Value::from(user.as_str()))])),
                    _ => Value::null(),
                })
            })?;
            AddAuthValidatorResponse {}.encode_to_vec()
        }
        _ => {
            return catalog(tool, method, raw).unwrap_or_else(|| {
                Err(Error::new(codes::INVALID_ARGUMENT, format!("conformance probe (rust): no such tool method {tool}.{method}")))
            })
        }
    };
    Ok(bytes)
}

/// The methods of tools added with `microcore add`: each tool's module answers
/// its own (None for a method not its), one line each below.
#[allow(unused_variables)]
fn catalog(tool: &str, method: &str, raw: &[u8]) -> Option<Result<Vec<u8>, Error>> {
    None
    // microcore add: probe calls
}
