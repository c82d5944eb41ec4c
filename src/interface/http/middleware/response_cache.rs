//! HTTP response cache for anonymous GETs of the cached product routes.
//!
//! It wraps each cached resource (`CachedRoute`), so the route it serves is known from where
//! it is registered, never re-derived from the path. Key: list generation + route +
//! normalised query (parsed into domain values first, so parameter order and spelled-out
//! defaults map to one entry). Only 200 bodies are stored, with their content type and
//! ETag. `X-Cache` says HIT, MISS or BYPASS (a request with `Authorization` or
//! `Cache-Control: no-cache`, or the cache unavailable). A stored entry answers
//! `If-None-Match` with 304. Every product write bumps the generation, which makes every
//! stored response unreachable at once.

use std::sync::Arc;
use std::time::Duration;

use actix_web::body::{to_bytes, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{
    HeaderName, HeaderValue, AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, ETAG,
};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse};
use futures_util::future::LocalBoxFuture;

use crate::domain::product::ProductId;
use crate::interface::http::conditional::not_modified;
use crate::interface::http::dto::ListQuery;
use crate::usecases::cache::{count_hash, list_hash};
use crate::usecases::cache::{CachedResponse, HttpResponseStore};

pub const X_CACHE: HeaderName = HeaderName::from_static("x-cache");

/// Time to live of stored responses, per route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpCacheTtls {
    pub product: Duration,
    pub list: Duration,
}

/// A route whose successful anonymous GETs are stored. The one list of them: the routes
/// wrap exactly these resources and the OpenAPI document marks exactly these paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CachedRoute {
    List,
    Count,
    Product,
}

impl CachedRoute {
    pub const ALL: [Self; 3] = [Self::List, Self::Count, Self::Product];

    /// The path as documented.
    pub fn path(self) -> &'static str {
        match self {
            Self::List => "/api/products",
            Self::Count => "/api/products/count",
            Self::Product => "/api/products/{id}",
        }
    }

    /// The path inside the `/api/products` scope, as registered.
    pub fn scope_path(self) -> &'static str {
        &self.path()["/api/products".len()..]
    }

    fn ttl(self, ttls: HttpCacheTtls) -> Duration {
        match self {
            Self::Product => ttls.product,
            Self::List | Self::Count => ttls.list,
        }
    }

    /// The normalised key of a request to this route; `None` for a request the handler
    /// will refuse, so errors are never stored.
    fn key(self, req: &ServiceRequest) -> Option<String> {
        match self {
            Self::List => list_key(req.query_string()),
            Self::Count => count_key(req.query_string()),
            Self::Product => {
                let id = ProductId::parse(req.match_info().get("id")?).ok()?;
                Some(format!("product:{id}"))
            }
        }
    }
}

fn list_key(query: &str) -> Option<String> {
    let q = ListQuery::parse(query).ok()?;
    Some(format!("list:{}", list_hash(&q.filter, q.sort, q.page)))
}

fn count_key(query: &str) -> Option<String> {
    let q = ListQuery::parse(query).ok()?;
    Some(format!("count:{}", count_hash(&q.filter)))
}

fn bypass_requested(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    headers.contains_key(AUTHORIZATION)
        || headers
            .get_all(CACHE_CONTROL)
            .filter_map(|v| v.to_str().ok())
            .any(|v| {
                v.split(',').any(|d| {
                    matches!(
                        d.trim().to_ascii_lowercase().as_str(),
                        "no-cache" | "no-store"
                    )
                })
            })
}

fn body_etag(body: &[u8]) -> String {
    let hash = crate::domain::digest::sha256_hex(body, 12);
    format!("\"{hash}\"")
}

fn mark(mut response: ServiceResponse<BoxBody>, value: &'static str) -> ServiceResponse<BoxBody> {
    response
        .headers_mut()
        .insert(X_CACHE, HeaderValue::from_static(value));
    response
}

/// The middleware function for one cached route, for
/// `resource(..).wrap(from_fn(response_cache(store, ttls, route)))`.
pub fn response_cache<B>(
    store: Arc<dyn HttpResponseStore>,
    ttls: HttpCacheTtls,
    route: CachedRoute,
) -> impl Fn(ServiceRequest, Next<B>) -> LocalBoxFuture<'static, Result<ServiceResponse<BoxBody>, Error>>
where
    B: MessageBody + 'static,
{
    move |req, next| Box::pin(serve(store.clone(), route.ttl(ttls), route, req, next))
}

async fn serve<B: MessageBody + 'static>(
    store: Arc<dyn HttpResponseStore>,
    ttl: Duration,
    route: CachedRoute,
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let key = if req.method() == Method::GET {
        route.key(&req)
    } else {
        None
    };
    let Some(key) = key else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    if bypass_requested(&req) {
        return Ok(mark(next.call(req).await?.map_into_boxed_body(), "BYPASS"));
    }
    let Some((generation, stored)) = store.lookup(&key).await else {
        return Ok(mark(next.call(req).await?.map_into_boxed_body(), "BYPASS"));
    };
    if let Some(stored) = stored {
        let response = if not_modified(req.headers(), &stored.etag) {
            HttpResponse::NotModified()
                .insert_header((ETAG, stored.etag))
                .finish()
        } else {
            HttpResponse::Ok()
                .content_type(stored.content_type)
                .insert_header((ETAG, stored.etag))
                .insert_header(("X-Data-Source", "cache"))
                .body(stored.body)
        };
        return Ok(mark(req.into_response(response), "HIT"));
    }
    let response = next.call(req).await?;
    if response.status() != StatusCode::OK {
        return Ok(mark(response.map_into_boxed_body(), "MISS"));
    }
    let (request, response) = response.into_parts();
    let (mut head, body) = response.into_parts();
    let bytes = to_bytes(body)
        .await
        .map_err(|e| actix_web::error::ErrorInternalServerError(e.into()))?;
    let etag = match head.headers().get(ETAG).and_then(|v| v.to_str().ok()) {
        Some(tag) => tag.to_owned(),
        None => body_etag(&bytes),
    };
    let content_type = head
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .to_owned();
    if let Ok(body) = std::str::from_utf8(&bytes) {
        let stored = CachedResponse {
            content_type,
            etag: etag.clone(),
            body: body.to_owned(),
        };
        store.put(generation, &key, &stored, ttl).await;
    }
    if let Ok(value) = HeaderValue::from_str(&etag) {
        head.headers_mut().insert(ETAG, value);
    }
    let response = head.set_body(bytes).map_into_boxed_body();
    Ok(mark(ServiceResponse::new(request, response), "MISS"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::{call_service, init_service, TestRequest};
    use actix_web::{web, App};

    use crate::usecases::cache::MockHttpResponseStore;
    use actix_web::middleware::from_fn;

    fn ttls() -> HttpCacheTtls {
        HttpCacheTtls {
            product: Duration::from_secs(60),
            list: Duration::from_secs(60),
        }
    }

    #[test]
    fn normalises_list_and_count_queries() {
        let a = list_key("limit=10&page=1&sort=-createdAt");
        assert_eq!(a, list_key(""), "defaults spelled out share the entry");
        assert_eq!(
            list_key("category=a&limit=5"),
            list_key("limit=5&category=a")
        );
        assert_ne!(list_key("limit=5"), a);
        assert_eq!(list_key("limit=0"), None, "refused queries are not cached");
        assert!(count_key("isActive=true").unwrap().starts_with("count:"));
        assert_eq!(count_key("isActive=maybe"), None);
    }

    #[test]
    fn every_cached_route_is_registered_under_the_product_scope() {
        let paths: Vec<_> = CachedRoute::ALL.iter().map(|r| r.scope_path()).collect();
        assert_eq!(paths, ["", "/count", "/{id}"]);
    }

    #[actix_web::test]
    async fn a_product_key_comes_from_the_matched_id_and_bad_ids_are_not_cached() {
        let mut cache = MockHttpResponseStore::new();
        cache
            .expect_lookup()
            .withf(|key| key == "product:665f1c0e9b1e8a3d4c2b1a09")
            .times(1)
            .returning(|_| Some((1, None)));
        cache.expect_put().times(1).return_const(());
        let app = init_service(
            App::new().service(
                web::scope("/api/products").service(
                    web::resource("/{id}")
                        .wrap(from_fn(response_cache(
                            Arc::new(cache),
                            ttls(),
                            CachedRoute::Product,
                        )))
                        .route(web::get().to(handler)),
                ),
            ),
        )
        .await;
        let ok = TestRequest::get()
            .uri("/api/products/665F1C0E9B1E8A3D4C2B1A09")
            .to_request();
        assert_eq!(
            call_service(&app, ok)
                .await
                .headers()
                .get("x-cache")
                .unwrap(),
            "MISS"
        );
        let bad = TestRequest::get().uri("/api/products/xyz").to_request();
        assert!(!call_service(&app, bad)
            .await
            .headers()
            .contains_key("x-cache"));
    }

    async fn handler() -> HttpResponse {
        HttpResponse::Ok()
            .content_type("application/json")
            .body("{\"n\":1}")
    }

    #[actix_web::test]
    async fn miss_stores_then_hit_replays_without_the_handler() {
        let mut cache = MockHttpResponseStore::new();
        let mut seq = mockall::Sequence::new();
        cache
            .expect_lookup()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| Some((3, None)));
        cache
            .expect_put()
            .withf(|g, _, r, _| *g == 3 && r.body == "{\"n\":1}")
            .times(1)
            .in_sequence(&mut seq)
            .return_const(());
        let stored = CachedResponse {
            content_type: "application/json".into(),
            etag: "\"e\"".into(),
            body: "{\"n\":1}".into(),
        };
        cache
            .expect_lookup()
            .times(1)
            .in_sequence(&mut seq)
            .returning(move |_| Some((3, Some(stored.clone()))));
        let app = init_service(
            App::new().service(
                web::scope("/api/products").service(
                    web::resource("")
                        .wrap(from_fn(response_cache(
                            Arc::new(cache),
                            ttls(),
                            CachedRoute::List,
                        )))
                        .route(web::get().to(handler)),
                ),
            ),
        )
        .await;
        let miss = call_service(&app, TestRequest::get().uri("/api/products").to_request()).await;
        assert_eq!(miss.headers().get("x-cache").unwrap(), "MISS");
        assert!(miss.headers().contains_key("etag"));
        let hit = call_service(&app, TestRequest::get().uri("/api/products").to_request()).await;
        assert_eq!(hit.headers().get("x-cache").unwrap(), "HIT");
        assert_eq!(to_bytes(hit.into_body()).await.unwrap(), "{\"n\":1}");
    }

    #[actix_web::test]
    async fn authorization_and_redis_trouble_bypass() {
        let mut cache = MockHttpResponseStore::new();
        cache.expect_lookup().returning(|_| None);
        let app = init_service(
            App::new().service(
                web::scope("/api/products").service(
                    web::resource("")
                        .wrap(from_fn(response_cache(
                            Arc::new(cache),
                            ttls(),
                            CachedRoute::List,
                        )))
                        .route(web::get().to(handler)),
                ),
            ),
        )
        .await;
        let with_token = TestRequest::get()
            .uri("/api/products")
            .insert_header(("Authorization", "Bearer x"))
            .to_request();
        assert_eq!(
            call_service(&app, with_token)
                .await
                .headers()
                .get("x-cache")
                .unwrap(),
            "BYPASS"
        );
        let redis_down = TestRequest::get().uri("/api/products").to_request();
        assert_eq!(
            call_service(&app, redis_down)
                .await
                .headers()
                .get("x-cache")
                .unwrap(),
            "BYPASS"
        );
    }
}
