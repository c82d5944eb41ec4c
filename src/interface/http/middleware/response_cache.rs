//! HTTP response cache for anonymous GETs on product routes.
//!
//! Key: list generation + route + normalised query (parsed into domain values first, so
//! parameter order and spelled-out defaults map to one entry). Only 200 bodies are stored,
//! with their content type and ETag. `X-Cache` says HIT, MISS or BYPASS (a request with
//! `Authorization` or `Cache-Control: no-cache`, or the cache unavailable). A stored entry
//! answers `If-None-Match` with 304. Every product write bumps the generation, which makes
//! every stored response unreachable at once.

use std::future::{ready, Ready};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::{to_bytes, BoxBody, MessageBody};
use actix_web::dev::{forward_ready, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{
    HeaderName, HeaderValue, AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, ETAG,
};
use actix_web::http::{Method, StatusCode};
use actix_web::{Error, HttpResponse};
use futures_util::future::LocalBoxFuture;

use crate::domain::product::ProductId;
use crate::interface::http::dto::ListQuery;
use crate::interface::http::handlers::not_modified;
use crate::usecases::cache::{count_hash, list_hash};
use crate::usecases::cache::{CachedResponse, HttpResponseStore};

pub const X_CACHE: HeaderName = HeaderName::from_static("x-cache");

/// Time to live of stored responses, per route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpCacheTtls {
    pub product: Duration,
    pub list: Duration,
}

/// Which cacheable route a request is, with its normalised key.
#[derive(Debug, PartialEq, Eq)]
enum Route {
    Product(String),
    List(String),
}

/// Normalises a product-route GET; `None` for anything not cached (including requests
/// the handler will refuse, so errors are never stored).
fn route(path: &str, query: &str) -> Option<Route> {
    let rest = path.strip_prefix("/api/products")?;
    match rest {
        "" => {
            let q = ListQuery::parse(query).ok()?;
            Some(Route::List(format!(
                "list:{}",
                list_hash(&q.filter, q.sort, q.page)
            )))
        }
        "/count" => {
            let q = ListQuery::parse(query).ok()?;
            Some(Route::List(format!("count:{}", count_hash(&q.filter))))
        }
        _ => {
            let id = ProductId::parse(rest.strip_prefix('/')?).ok()?;
            Some(Route::Product(format!("product:{id}")))
        }
    }
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

/// The middleware factory; wrap it around the product scope.
#[derive(Clone)]
pub struct ResponseCache {
    cache: Arc<dyn HttpResponseStore>,
    ttls: HttpCacheTtls,
}

impl ResponseCache {
    pub fn new(cache: Arc<dyn HttpResponseStore>, ttls: HttpCacheTtls) -> Self {
        Self { cache, ttls }
    }
}

impl<S, B> Transform<S, ServiceRequest> for ResponseCache
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = Error;
    type Transform = ResponseCacheMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(ResponseCacheMiddleware {
            service: Rc::new(service),
            config: self.clone(),
        }))
    }
}

pub struct ResponseCacheMiddleware<S> {
    service: Rc<S>,
    config: ResponseCache,
}

impl<S, B> Service<ServiceRequest> for ResponseCacheMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let service = self.service.clone();
        let config = self.config.clone();
        Box::pin(async move {
            let cacheable = if req.method() == Method::GET {
                route(req.path(), req.query_string())
            } else {
                None
            };
            let Some(route) = cacheable else {
                return Ok(service.call(req).await?.map_into_boxed_body());
            };
            if bypass_requested(&req) {
                return Ok(mark(
                    service.call(req).await?.map_into_boxed_body(),
                    "BYPASS",
                ));
            }
            let (key, ttl) = match &route {
                Route::Product(key) => (key.as_str(), config.ttls.product),
                Route::List(key) => (key.as_str(), config.ttls.list),
            };
            let Some((generation, stored)) = config.cache.lookup(key).await else {
                return Ok(mark(
                    service.call(req).await?.map_into_boxed_body(),
                    "BYPASS",
                ));
            };
            match stored {
                Some(stored) => {
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
                    Ok(mark(req.into_response(response), "HIT"))
                }
                None => {
                    let response = service.call(req).await?;
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
                        config.cache.put(generation, key, &stored, ttl).await;
                    }
                    if let Ok(value) = HeaderValue::from_str(&etag) {
                        head.headers_mut().insert(ETAG, value);
                    }
                    let response = head.set_body(bytes).map_into_boxed_body();
                    Ok(mark(ServiceResponse::new(request, response), "MISS"))
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::{call_service, init_service, TestRequest};
    use actix_web::{web, App};

    use crate::usecases::cache::MockHttpResponseStore;

    fn ttls() -> HttpCacheTtls {
        HttpCacheTtls {
            product: Duration::from_secs(60),
            list: Duration::from_secs(60),
        }
    }

    #[test]
    fn normalises_routes() {
        let a = route("/api/products", "limit=10&page=1&sort=-createdAt");
        assert_eq!(
            a,
            route("/api/products", ""),
            "defaults spelled out share the entry"
        );
        assert_eq!(
            route("/api/products", "category=a&limit=5"),
            route("/api/products", "limit=5&category=a")
        );
        assert_ne!(route("/api/products", "limit=5"), a);
        assert_eq!(
            route("/api/products", "limit=0"),
            None,
            "refused queries are not cached"
        );
        assert_eq!(route("/api/products/xyz", ""), None);
        assert!(matches!(
            route("/api/products/665F1C0E9B1E8A3D4C2B1A09", ""),
            Some(Route::Product(_))
        ));
        assert!(matches!(
            route("/api/products/count", "isActive=true"),
            Some(Route::List(_))
        ));
        assert_eq!(route("/api/products/wishlist", ""), None);
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
                web::scope("/api/products")
                    .wrap(ResponseCache::new(Arc::new(cache), ttls()))
                    .route("", web::get().to(handler)),
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
                web::scope("/api/products")
                    .wrap(ResponseCache::new(Arc::new(cache), ttls()))
                    .route("", web::get().to(handler)),
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
