use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn liveness_touches_nothing_and_is_ok() {
    let app = spawn_app().await;
    let response = app.get("/health").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        serde_json::json!({"status": "ok"})
    );
    assert_eq!(app.get("/api/health/live").await.status(), 200);
}

#[tokio::test]
async fn health_reports_both_dependencies() {
    let app = spawn_app().await;
    let response = app.health().await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "success");
    assert_eq!(body["data"]["status"], "ok");
    assert_eq!(body["data"]["mongo"]["up"], true);
    assert_eq!(body["data"]["redis"]["up"], true);
    assert!(body["data"]["mongo"]["latencyMs"].as_f64().is_some());
    assert_eq!(app.get("/api/health/ready").await.status(), 200);
}
