//! `/metrics` is valid OpenMetrics covering HTTP requests, latencies, rate-limit decisions,
//! every cache layer and failure cause, MongoDB and the process; `METRICS_TOKEN` guards it;
//! caching switched off counts no cache errors.

use openmetrics_parser::openmetrics::parse_openmetrics;
use openmetrics_parser::OpenMetricsValue;

use crate::helpers::{shared_servers, spawn_app, spawn_app_with, test_settings, TestApp};

#[tokio::test]
async fn metrics_cover_every_layer_and_every_failure_cause() {
    let app = spawn_app().await;
    let text = app.get("/metrics").await.text().await.unwrap();
    for layer in ["http", "product", "list", "wishlist"] {
        for series in [
            "cache_hits_total",
            "cache_misses_total",
            "cache_database_reads_total",
        ] {
            let line = format!("{series}{{layer=\"{layer}\"}} ");
            assert!(text.contains(&line), "missing {line}");
        }
    }
    for kind in ["connection", "timeout", "script", "wrong_type", "command"] {
        let line = format!("cache_errors_by_kind_total{{kind=\"{kind}\"}} 0");
        assert!(text.contains(&line), "missing {line}");
    }
}

#[tokio::test]
async fn with_caching_off_wishlist_reads_go_to_mongodb_and_count_no_cache_error() {
    let servers = shared_servers();
    let app = spawn_app_with(test_settings(
        &servers.mongo_uri,
        &servers.redis_url,
        &[("CACHE_ENABLED", "false")],
    ))
    .await;
    let token = app.user_token("nocache@example.com").await;
    for _ in 0..3 {
        let response = app.get_as("/api/products/wishlist", &token).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["x-data-source"], "database");
    }
    assert_eq!(app.metric("cache_errors_total").await, 0);
    assert_eq!(
        app.metric("cache_database_reads_total{layer=\"wishlist\"}")
            .await,
        3
    );
}

/// The scrape, parsed by a strict OpenMetrics parser (so a malformed exposition fails).
async fn scrape(app: &TestApp, token: Option<&str>) -> Exposition {
    let mut request = app.client.get(app.url("/metrics"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    let text = response.text().await.unwrap();
    parse_openmetrics(&text).unwrap_or_else(|e| panic!("unparseable ({e:?}):\n{text}"))
}

type Exposition = openmetrics_parser::MetricsExposition<
    openmetrics_parser::OpenMetricsType,
    openmetrics_parser::OpenMetricsValue,
>;

/// The value of the sample of `family` whose labels include every `(name, value)` given.
fn sample(exposition: &Exposition, family: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let family = exposition.families.get(family)?;
    family.iter_samples().find_map(|s| {
        let set = s.get_labelset().ok()?;
        let matches = labels
            .iter()
            .all(|(name, value)| set.get_label_value(name) == Some(*value));
        if !matches {
            return None;
        }
        match &s.value {
            OpenMetricsValue::Counter(c) => Some(c.value.as_f64()),
            OpenMetricsValue::Gauge(g) => Some(g.as_f64()),
            OpenMetricsValue::Histogram(h) => h.count.map(|c| c as f64),
            _ => None,
        }
    })
}

#[tokio::test]
async fn metrics_parse_as_openmetrics_with_requests_latencies_rate_limits_and_every_cache_layer() {
    let servers = shared_servers();
    let app = spawn_app_with(test_settings(
        &servers.mongo_uri,
        &servers.redis_url,
        &[("RATE_LIMIT_AUTH", "1/60s")],
    ))
    .await;
    let id = app.create_product(serde_json::json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for _ in 0..2 {
        assert_eq!(app.get_product(&id).await.status(), 200);
    }
    assert_eq!(
        app.get("/api/products/nothing/here/at-all").await.status(),
        404
    );
    // Log in until the auth quota (spent partly by the test set-up) refuses once.
    let mut refused = false;
    for _ in 0..5 {
        if app
            .login("who@example.com", "wrong-password-1")
            .await
            .status()
            == 429
        {
            refused = true;
            break;
        }
    }
    assert!(refused, "the auth limit refuses within 5 logins");

    let metrics = scrape(&app, None).await;
    let by_id = [("method", "GET"), ("route", "/api/products/{id}")];
    assert_eq!(
        sample(
            &metrics,
            "http_requests",
            &[by_id[0], by_id[1], ("status", "200")]
        ),
        Some(2.0)
    );
    assert_eq!(
        sample(&metrics, "http_request_duration_seconds", &by_id),
        Some(2.0),
        "both reads in the latency histogram"
    );
    assert_eq!(
        sample(
            &metrics,
            "rate_limit_decisions",
            &[("class", "auth"), ("decision", "rejected")]
        ),
        Some(1.0)
    );
    assert!(
        sample(
            &metrics,
            "rate_limit_decisions",
            &[("class", "auth"), ("decision", "admitted")]
        )
        .unwrap()
            >= 1.0
    );
    for layer in ["http", "product", "list", "wishlist"] {
        for family in ["cache_hits", "cache_misses", "cache_database_reads"] {
            assert!(
                sample(&metrics, family, &[("layer", layer)]).is_some(),
                "{family}{{layer={layer}}} missing"
            );
        }
    }
    assert!(sample(&metrics, "cache_hits", &[("layer", "http")]).unwrap() >= 1.0);
    assert_eq!(sample(&metrics, "redis_up", &[]), Some(1.0));
    assert!(sample(&metrics, "mongodb_errors", &[("kind", "timeout")]).is_some());
    assert!(sample(&metrics, "process_resident_memory_bytes", &[]).unwrap() > 0.0);
    assert!(sample(&metrics, "process_cpu_seconds", &[]).is_some());
}

#[tokio::test]
async fn with_a_metrics_token_only_its_bearer_reads_metrics() {
    let servers = shared_servers();
    let app = spawn_app_with(test_settings(
        &servers.mongo_uri,
        &servers.redis_url,
        &[("METRICS_TOKEN", "scrape-token-for-tests")],
    ))
    .await;
    let anonymous = app.get("/metrics").await;
    assert_eq!(anonymous.status(), 401);
    let body: serde_json::Value = anonymous.json().await.unwrap();
    assert_eq!(body["status"], "error");
    let wrong = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("not-the-token")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let metrics = scrape(&app, Some("scrape-token-for-tests")).await;
    assert!(metrics.families.contains_key("http_requests"));
}
