//! The validating proxy: forwards every request to the server unchanged and checks each
//! response against the bundle — the status is documented for the operation, the body
//! validates against that status' schema, `X-Request-Id` is present and error bodies carry
//! it — and records the (operationId, status) pair for the coverage gate.

use std::sync::{Arc, Mutex, OnceLock};

use meridian_codegen::schema::SchemaSet;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::{Body, EndpointExt, Request, Response, Route, handler, web::Data};
use serde_json::Value;

use crate::coverage::Recorder;
use crate::spec::{self, Operation};

/// A running proxy.
pub struct Proxy {
    /// Its base URL.
    pub url: String,
    ctx: Arc<Context>,
}

/// What the proxy's handler shares.
struct Context {
    upstream: String,
    client: reqwest::Client,
    violations: Mutex<Vec<String>>,
    recorder: Recorder,
}

/// The bundle's operations and schemas, prepared once.
fn operations() -> &'static (Vec<Operation>, SchemaSet) {
    static OPS: OnceLock<(Vec<Operation>, SchemaSet)> = OnceLock::new();
    OPS.get_or_init(|| (spec::operations(spec::bundle()), SchemaSet::new(spec::bundle())))
}

impl Proxy {
    /// Starts a proxy to `upstream` on `runtime`; `test` names the test in coverage records.
    pub async fn start(runtime: &tokio::runtime::Handle, upstream: &str, test: &str) -> anyhow::Result<Self> {
        let ctx = Arc::new(Context {
            upstream: upstream.to_owned(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
            violations: Mutex::new(Vec::new()),
            recorder: Recorder::new(test),
        });
        let acceptor = TcpListener::bind("127.0.0.1:0").into_acceptor().await?;
        let addr = acceptor.local_addr()[0]
            .as_socket_addr()
            .copied()
            .ok_or_else(|| anyhow::anyhow!("no address"))?;
        let app = Route::new().at("/*path", forward).at("/", forward).data(ctx.clone());
        runtime.spawn(async move { poem::Server::new_with_acceptor(acceptor).run(app).await });
        Ok(Self {
            url: format!("http://{addr}"),
            ctx,
        })
    }

    /// The non-conforming responses seen so far.
    pub fn violations(&self) -> Vec<String> {
        self.ctx.violations.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

#[handler]
async fn forward(req: &Request, body: Body, ctx: Data<&Arc<Context>>) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let path_and_query = req
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str().to_owned())
        .unwrap_or_else(|| path.clone());
    let mut headers = req.headers().clone();
    headers.remove(poem::http::header::HOST);
    let body = match body.into_bytes().await {
        Ok(bytes) => bytes,
        Err(error) => {
            return Response::builder()
                .status(poem::http::StatusCode::BAD_GATEWAY)
                .body(error.to_string());
        }
    };
    let upstream = ctx
        .client
        .request(method.clone(), format!("{}{}", ctx.upstream, path_and_query))
        .headers(headers)
        .body(body)
        .send()
        .await;
    let upstream = match upstream {
        Ok(r) => r,
        Err(error) => {
            return Response::builder()
                .status(poem::http::StatusCode::BAD_GATEWAY)
                .body(error.to_string());
        }
    };
    let status = upstream.status();
    let headers = upstream.headers().clone();
    let bytes = upstream.bytes().await.unwrap_or_default();
    let problems = check(
        method.as_str(),
        &path,
        status.as_u16(),
        &headers,
        &bytes,
        Some(&ctx.recorder),
    );
    if !problems.is_empty() {
        for problem in &problems {
            eprintln!("contract violation: {problem}");
        }
        if let Ok(mut v) = ctx.violations.lock() {
            v.extend(problems);
        }
    }
    let mut response = Response::builder().status(status).body(bytes.to_vec());
    for (name, value) in &headers {
        response.headers_mut().append(name.clone(), value.clone());
    }
    response
}

/// Checks one response against the bundle and records its (operationId, status).
fn check(
    method: &str,
    path: &str,
    status: u16,
    headers: &reqwest::header::HeaderMap,
    body: &[u8],
    recorder: Option<&Recorder>,
) -> Vec<String> {
    let (ops, schemas) = operations();
    let mut problems = Vec::new();
    let at = format!("{method} {path} → {status}");
    let is_api = path.starts_with("/api/") || path.starts_with("/.well-known/");
    if !is_api {
        return problems;
    }
    let request_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if request_id.is_none() {
        problems.push(format!("{at}: no X-Request-Id header"));
    }
    let json: Option<Value> = serde_json::from_slice(body).ok();
    if status >= 400
        && let (Some(id), Some(json)) = (&request_id, &json)
        && !path.starts_with("/api/oauth/")
        && json.get("request_id").and_then(Value::as_str) != Some(id.as_str())
    {
        problems.push(format!(
            "{at}: error body's request_id differs from the X-Request-Id header"
        ));
    }
    let Some(op) = spec::match_operation(ops, method, path) else {
        // No operation: only the router's own 404/405 are acceptable, in the error shape.
        let error_schema = serde_json::json!({"$ref": "#/components/schemas/ApiErrorBody"});
        if !matches!(status, 404 | 405 | 413) {
            problems.push(format!("{at}: no operation matches and the status is not 404/405/413"));
        }
        match &json {
            Some(json) => {
                if let Err(errors) = schemas.validate(&error_schema, json) {
                    problems.push(format!("{at}: not the error body: {}", errors.join("; ")));
                }
            }
            None => problems.push(format!("{at}: body is not JSON")),
        }
        return problems;
    };
    if let Some(recorder) = recorder {
        recorder.record(&op.operation_id, status);
    }
    if !op.statuses.contains(&status) {
        problems.push(format!(
            "{at}: status {status} is not documented for {}",
            op.operation_id
        ));
        return problems;
    }
    let Some(response) = spec::response(spec::bundle(), op, status) else {
        return problems;
    };
    for (name, header) in response.get("headers").and_then(Value::as_object).into_iter().flatten() {
        let Some(value) = headers.get(name.as_str()).and_then(|v| v.to_str().ok()) else {
            continue;
        };
        let header = spec::deref(spec::bundle(), header);
        if let Some(schema) = header.get("schema") {
            let instance = meridian_codegen::schema::coerce_param(schema, value);
            if let Err(errors) = schemas.validate(schema, &instance) {
                problems.push(format!("{at}: header {name}: {}", errors.join("; ")));
            }
        }
    }
    if status == 429 && !headers.contains_key("retry-after") {
        problems.push(format!("{at}: 429 without Retry-After"));
    }
    let content = response.get("content").and_then(Value::as_object);
    match content {
        None => {
            if !body.is_empty() {
                problems.push(format!("{at}: documented without a body but has {} bytes", body.len()));
            }
        }
        Some(content) => {
            let media = headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .map(|ct| ct.split(';').next().unwrap_or("").trim().to_owned())
                .unwrap_or_default();
            let Some(media_object) = content.get(&media) else {
                problems.push(format!("{at}: content type `{media}` is not documented"));
                return problems;
            };
            if let Some(schema) = media_object.get("schema") {
                match &json {
                    Some(json) => {
                        if let Err(errors) = schemas.validate(schema, json) {
                            problems.push(format!("{at}: body does not match the schema: {}", errors.join("; ")));
                        }
                    }
                    None => problems.push(format!("{at}: body is not JSON")),
                }
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    fn headers(id: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-request-id", HeaderValue::from_str(id).unwrap());
        h.insert("content-type", HeaderValue::from_static("application/json"));
        h
    }

    /// Unit tests record nothing: only real contract tests count towards coverage.
    fn recorder() -> Option<&'static Recorder> {
        None
    }

    const HEALTHY: &str = r#"{"success":true,"status":"healthy","timestamp":"2024-12-30T15:30:00.000Z","version":"1","services":{"database":"up","redis":"up","market_data":"up","credit_model":"up"},"request_id":"r1"}"#;

    #[test]
    fn a_conforming_response_passes() {
        assert_eq!(
            check(
                "GET",
                "/api/health",
                200,
                &headers("r1"),
                HEALTHY.as_bytes(),
                recorder()
            ),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_body_off_schema_is_caught() {
        let bad = HEALTHY.replace(r#""status":"healthy""#, r#""status":"fine""#);
        let problems = check("GET", "/api/health", 200, &headers("r1"), bad.as_bytes(), recorder());
        assert!(problems.iter().any(|p| p.contains("schema")), "{problems:?}");
    }

    #[test]
    fn an_undocumented_status_is_caught() {
        let body = r#"{"success":false,"error":"Not Found","message":"x","request_id":"r1"}"#;
        let problems = check("GET", "/api/health", 404, &headers("r1"), body.as_bytes(), recorder());
        assert!(problems.iter().any(|p| p.contains("not documented")), "{problems:?}");
    }

    #[test]
    fn error_bodies_must_carry_the_request_id_and_plain_text_is_caught() {
        let body = r#"{"success":false,"error":"Not Found","message":"x","request_id":"other"}"#;
        let problems = check("GET", "/api/nope", 404, &headers("r1"), body.as_bytes(), recorder());
        assert!(problems.iter().any(|p| p.contains("request_id")), "{problems:?}");
        let problems = check("GET", "/api/nope", 404, &headers("r1"), b"not found", recorder());
        assert!(problems.iter().any(|p| p.contains("not JSON")), "{problems:?}");
        let mut no_id = headers("r1");
        no_id.remove("x-request-id");
        let problems = check("GET", "/api/health", 200, &no_id, HEALTHY.as_bytes(), recorder());
        assert!(problems.iter().any(|p| p.contains("X-Request-Id")), "{problems:?}");
    }

    #[test]
    fn a_429_needs_retry_after() {
        let body = r#"{"success":false,"error":"Rate Limit Exceeded","message":"x","request_id":"r1"}"#;
        let problems = check("GET", "/api/health", 429, &headers("r1"), body.as_bytes(), recorder());
        assert!(problems.iter().any(|p| p.contains("Retry-After")), "{problems:?}");
    }
}
