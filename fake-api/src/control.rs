//! The unauthenticated `/__control` API tests use to inspect requests, change data and
//! queue faults. Control requests are not recorded and never faulted.

use std::time::Instant;

use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{json, Value};

use crate::body::{self, ResponseBody};
use crate::budget::BudgetConfig;
use crate::faults;
use crate::routes::decode_segments;
use crate::state::{lock, read, write, AppState};
use crate::store::{Lookup, PatchError};

/// Path prefix of the control API.
pub const CONTROL_PREFIX: &str = "/__control";
/// Largest accepted control request body (16 MiB).
const MAX_BODY: usize = 16 << 20;

/// Whether a path belongs to the control API.
pub fn is_control(path: &str) -> bool {
    path == CONTROL_PREFIX || path.starts_with("/__control/")
}

fn error(status: StatusCode, message: impl Into<String>) -> Response<ResponseBody> {
    body::json(status, &json!({ "error": message.into() }))
}

fn ok(value: Value) -> Response<ResponseBody> {
    body::json(StatusCode::OK, &value)
}

/// Reads the whole request body as JSON.
async fn json_body(req: Request<Incoming>) -> Result<Value, Response<ResponseBody>> {
    let bytes = Limited::new(req.into_body(), MAX_BODY)
        .collect()
        .await
        .map_err(|e| {
            error(
                StatusCode::BAD_REQUEST,
                format!("could not read the body: {e}"),
            )
        })?
        .to_bytes();
    serde_json::from_slice(&bytes)
        .map_err(|e| error(StatusCode::BAD_REQUEST, format!("body is not JSON: {e}")))
}

/// Handles one control request.
pub async fn handle(state: &AppState, req: Request<Incoming>) -> Response<ResponseBody> {
    let method = req.method().clone();
    let rest = req
        .uri()
        .path()
        .strip_prefix(CONTROL_PREFIX)
        .unwrap_or("")
        .to_owned();
    let Some(segments) = decode_segments(&rest) else {
        return error(StatusCode::NOT_FOUND, "no such control route");
    };
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let not_allowed = || {
        error(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{method} is not allowed on {CONTROL_PREFIX}{rest}"),
        )
    };
    match segments.as_slice() {
        ["health"] => match method {
            Method::GET => body::response(StatusCode::OK, "text/plain", ResponseBody::full("ok")),
            _ => not_allowed(),
        },
        ["requests"] => match method {
            Method::GET => body::json_bytes(
                StatusCode::OK,
                body::to_json_bytes(&lock(&state.journal).to_json()),
            ),
            Method::DELETE => ok(json!({ "cleared": lock(&state.journal).clear() })),
            _ => not_allowed(),
        },
        ["faults"] => match method {
            Method::GET => ok(json!({ "faults": lock(&state.faults).snapshot() })),
            Method::DELETE => ok(json!({ "cleared": lock(&state.faults).clear() })),
            Method::POST => {
                let bytes = match Limited::new(req.into_body(), MAX_BODY).collect().await {
                    Ok(c) => c.to_bytes(),
                    Err(e) => {
                        return error(
                            StatusCode::BAD_REQUEST,
                            format!("could not read the body: {e}"),
                        )
                    }
                };
                match faults::parse_rules(&bytes) {
                    Ok(rules) => {
                        let added = rules.len();
                        let mut queue = lock(&state.faults);
                        queue.extend(rules);
                        ok(json!({ "added": added, "queued": queue.len() }))
                    }
                    Err(e) => error(StatusCode::BAD_REQUEST, e),
                }
            }
            _ => not_allowed(),
        },
        ["budget"] => match method {
            Method::GET => ok(lock(&state.budget).report(Instant::now())),
            Method::POST => {
                let body = match json_body(req).await {
                    Ok(body) => body,
                    Err(resp) => return resp,
                };
                let mut budget = lock(&state.budget);
                if let Some(count) = body.get("spend").and_then(Value::as_u64) {
                    budget.spend(Instant::now(), count);
                } else {
                    match serde_json::from_value::<BudgetConfig>(body) {
                        Ok(config) => match config.validate() {
                            Ok(()) => budget.reconfigure(config, Instant::now()),
                            Err(e) => return error(StatusCode::BAD_REQUEST, e),
                        },
                        Err(e) => return error(StatusCode::BAD_REQUEST, e.to_string()),
                    }
                }
                ok(budget.report(Instant::now()))
            }
            _ => not_allowed(),
        },
        ["accounts"] => match method {
            Method::GET => ok(read(&state.store).to_data()),
            _ => not_allowed(),
        },
        ["accounts", account] => match method {
            Method::PUT => {
                let created = write(&state.store).ensure_account(account);
                let status = if created {
                    StatusCode::CREATED
                } else {
                    StatusCode::OK
                };
                body::json(status, &json!({ "account": account, "created": created }))
            }
            Method::DELETE => {
                if write(&state.store).remove_account(account) {
                    ok(json!({ "deleted": true }))
                } else {
                    error(StatusCode::NOT_FOUND, format!("no account {account}"))
                }
            }
            _ => not_allowed(),
        },
        ["accounts", account, "sso_connectors", id] => {
            let (account, id) = (account.to_string(), id.to_string());
            connector(state, method, &account, &id, req).await
        }
        _ => error(
            StatusCode::NOT_FOUND,
            format!("no control route {CONTROL_PREFIX}{rest}"),
        ),
    }
}

/// `GET`/`PUT`/`PATCH`/`DELETE /__control/accounts/{account}/sso_connectors/{id}`.
async fn connector(
    state: &AppState,
    method: Method,
    account: &str,
    id: &str,
    req: Request<Incoming>,
) -> Response<ResponseBody> {
    let missing = || {
        error(
            StatusCode::NOT_FOUND,
            format!("no connector {id} in account {account}"),
        )
    };
    match method {
        Method::GET => {
            let found = match read(&state.store).get(account, id) {
                Lookup::Found(v) => Some(v.clone()),
                Lookup::NoAccount | Lookup::NoConnector => None,
            };
            found.map_or_else(missing, ok)
        }
        Method::PUT => {
            let value = match json_body(req).await {
                Ok(v) => v,
                Err(resp) => return resp,
            };
            let created = write(&state.store).upsert(account, id, value.clone());
            let status = if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            body::json(status, &value)
        }
        Method::PATCH => {
            let value = match json_body(req).await {
                Ok(v) => v,
                Err(resp) => return resp,
            };
            let Some(fields) = value.as_object() else {
                return error(
                    StatusCode::BAD_REQUEST,
                    "a PATCH body must be a JSON object",
                );
            };
            let merged = write(&state.store).patch(account, id, fields);
            match merged {
                Ok(v) => ok(v),
                Err(PatchError::NotFound) => missing(),
                Err(PatchError::NotAnObject) => error(
                    StatusCode::CONFLICT,
                    "the stored connector is not a JSON object",
                ),
            }
        }
        Method::DELETE => {
            if write(&state.store).remove(account, id) {
                ok(json!({ "deleted": true }))
            } else {
                missing()
            }
        }
        _ => error(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{method} is not allowed here"),
        ),
    }
}
