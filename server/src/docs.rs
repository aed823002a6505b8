//! The hand-written bundle at `/openapi.json` and `/openapi.yaml` (byte for byte), and Swagger
//! UI at `/docs` on that bundle (vendored assets, nothing fetched at run time).

use std::sync::Arc;

use poem::http::{Method, StatusCode, header};
use poem::web::{Path, Redirect};
use poem::{Endpoint, IntoResponse, Request, Response, Route, get, handler};

/// The bundled spec, as committed (`openapi/bundled/meridian.json`).
pub const BUNDLE_JSON: &str = include_str!("../../openapi/bundled/meridian.json");
/// The bundled spec, as committed (`openapi/bundled/meridian.yaml`).
pub const BUNDLE_YAML: &str = include_str!("../../openapi/bundled/meridian.yaml");

/// Adds the routes `/openapi.json`, `/openapi.yaml`, `/docs` and `/docs/…` (the API is nested
/// at `/`, so `/` itself is redirected by [`redirect_root`]).
pub fn routes(route: Route) -> Route {
    route
        .at("/openapi.json", get(openapi_json))
        .at("/openapi.yaml", get(openapi_yaml))
        .at("/docs", get(docs_root))
        .at("/docs/", get(docs_index))
        .at("/docs/*path", get(docs_file))
}

/// Sends `GET /` to Swagger UI; every other request goes on to `ep`.
pub async fn redirect_root<E: Endpoint>(ep: Arc<E>, req: Request) -> poem::Result<Response> {
    if req.uri().path() == "/" && req.method() == Method::GET {
        return Ok(Redirect::temporary("/docs/").into_response());
    }
    ep.call(req).await.map(IntoResponse::into_response)
}

#[handler]
fn openapi_json() -> Response {
    Response::builder().content_type("application/json").body(BUNDLE_JSON)
}

#[handler]
fn openapi_yaml() -> Response {
    Response::builder().content_type("application/yaml").body(BUNDLE_YAML)
}

#[handler]
fn docs_root() -> Redirect {
    Redirect::permanent("/docs/")
}

#[handler]
fn docs_index() -> Response {
    swagger_file("")
}

#[handler]
fn docs_file(Path(path): Path<String>) -> Response {
    swagger_file(&path)
}

/// Swagger UI's configuration: the bundle, "Try it out" on, authorization kept across reloads.
fn swagger_config() -> Arc<utoipa_swagger_ui::Config<'static>> {
    Arc::new(
        utoipa_swagger_ui::Config::new(["/openapi.json"])
            .try_it_out_enabled(true)
            .persist_authorization(true)
            .display_request_duration(true),
    )
}

/// One Swagger UI asset, or 404.
fn swagger_file(path: &str) -> Response {
    match utoipa_swagger_ui::serve(path, swagger_config()) {
        Ok(Some(file)) => {
            let mut response = Response::builder()
                .content_type(file.content_type)
                .body(file.bytes.into_owned());
            if file.gzpipped {
                response
                    .headers_mut()
                    .insert(header::CONTENT_ENCODING, "gzip".parse().expect("static header"));
            }
            response
        }
        Ok(None) => Response::builder().status(StatusCode::NOT_FOUND).finish(),
        Err(error) => {
            tracing::error!(%error, "Swagger UI asset");
            Response::builder().status(StatusCode::INTERNAL_SERVER_ERROR).finish()
        }
    }
}
