//! `/openapi.json`, `/openapi.yaml` (the committed bundle byte for byte), `/docs` (Swagger UI
//! on that bundle) and `/` (→ `/docs/`).

use meridian_contract_tests::TestServer;

const BUNDLE_JSON: &str = include_str!("../../../openapi/bundled/meridian.json");
const BUNDLE_YAML: &str = include_str!("../../../openapi/bundled/meridian.yaml");

#[tokio::test]
async fn the_documents_are_the_committed_bundle_byte_for_byte() {
    let server = TestServer::start().await;
    let http = server.http();
    let json = http.get(format!("{}/openapi.json", server.url)).send().await.unwrap();
    assert_eq!(json.status(), 200);
    assert!(
        json.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(json.text().await.unwrap(), BUNDLE_JSON);
    let yaml = http.get(format!("{}/openapi.yaml", server.url)).send().await.unwrap();
    assert_eq!(yaml.status(), 200);
    assert_eq!(yaml.text().await.unwrap(), BUNDLE_YAML);
}

#[tokio::test]
async fn swagger_ui_is_served_on_the_bundle() {
    let server = TestServer::start().await;
    let http = server.http();
    let root = http.get(format!("{}/", server.url)).send().await.unwrap();
    assert!(root.status().is_redirection());
    assert_eq!(root.headers()["location"], "/docs/");
    let docs = http.get(format!("{}/docs", server.url)).send().await.unwrap();
    assert!(docs.status().is_redirection());
    let index = http.get(format!("{}/docs/", server.url)).send().await.unwrap();
    assert_eq!(index.status(), 200);
    assert!(index.text().await.unwrap().contains("swagger-ui"));
    let init = http
        .get(format!("{}/docs/swagger-initializer.js", server.url))
        .send()
        .await
        .unwrap();
    let init = init.text().await.unwrap();
    assert!(
        init.contains("\"/openapi.json\""),
        "Swagger UI loads the bundle: {init}"
    );
    assert!(init.contains("\"tryItOutEnabled\": true"));
    let css = http
        .get(format!("{}/docs/swagger-ui.css", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(css.status(), 200);
    let missing = http
        .get(format!("{}/docs/no-such-asset.js", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}
