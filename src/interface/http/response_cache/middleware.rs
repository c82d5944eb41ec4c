//! HTTP response cache for anonymous GETs of the cached product routes.
//!
//! It wraps each cached resource (`CachedRoute`), so the route it serves is known from where
//! it is registered, never re-derived from the path. `X-Cache` says HIT, MISS or BYPASS (a
//! request with `Authorization` or `Cache-Control: no-cache`, or the cache unavailable),
//! and a cached response takes `If-None-Match` into account (304).
//!
//! Each page is stored once:
//! - A single product's response is stored whole (content type, ETag, body) under that
//!   product's response generation, and a HIT replays it without running the handler. A
//!   write to one product retires only that product's responses.
//! - List and count responses are not stored a second time: the list cache already holds
//!   the page (with its size cap and admission rule), and a HIT here is the handler
//!   answering from that entry, reported by the `DataSource` it attaches to the response.
//!   Storing the body too would double the memory of every distinct query for the saving
//!   of one serialisation.

use std::sync::Arc;

use actix_web::body::{to_bytes, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{
    HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, CACHE_CONTROL, CONTENT_ENCODING,
    CONTENT_TYPE, ETAG, IF_NONE_MATCH, VARY,
};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::HttpMessage;
use actix_web::{Error, HttpResponse};
use futures_util::future::LocalBoxFuture;

use super::cached_route::CachedRoute;
use super::caching::ResponseCaching;
use super::near_responses::{NearResponses, ReadyResponse, ResponseSlot};
use crate::domain::product::ProductId;
use crate::interface::http::conditional::not_modified;
use crate::interface::http::cursor::CursorCodec;
use crate::interface::http::dto::ListQuery;
use crate::interface::http::encoding::Encoding;
use crate::interface::http::middleware::compression::vary;
use crate::usecases::cache::{DataSource, ResponseStore, StaleReason, Staleness, StoredResponse};

pub const X_CACHE: HeaderName = HeaderName::from_static("x-cache");
/// RFC 9211's standard form of the same verdict, which CDNs and HTTP tooling read.
const CACHE_STATUS: HeaderName = HeaderName::from_static("cache-status");
const X_DATA_SOURCE: HeaderName = HeaderName::from_static("x-data-source");

/// What the middleware does with one request.
#[derive(Debug, PartialEq, Eq)]
enum Plan {
    /// Not a cacheable request (another method, or a request the handler will refuse):
    /// no `X-Cache` at all, so errors are never reported as cache traffic.
    PassThrough,
    /// A product's response, stored whole.
    Stored(ProductId),
    /// A list or count answered by the handler from the list cache.
    FromPageCache,
}

fn plan(route: CachedRoute, req: &ServiceRequest) -> Plan {
    if req.method() != Method::GET {
        return Plan::PassThrough;
    }
    match route {
        CachedRoute::List | CachedRoute::Count => {
            let cursors = req.app_data::<actix_web::web::Data<CursorCodec>>();
            match ListQuery::parse(req.query_string(), cursors.map(|data| data.get_ref())) {
                Ok(_) => Plan::FromPageCache,
                Err(_) => Plan::PassThrough,
            }
        }
        CachedRoute::Product => match req.match_info().get("id").map(ProductId::parse) {
            Some(Ok(id)) => Plan::Stored(id),
            _ => Plan::PassThrough,
        },
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
    verdict(response.headers_mut(), value);
    response
}

/// `X-Cache: HIT|MISS|BYPASS` and its `Cache-Status` (`hit`, `fwd=miss`, `fwd=bypass`).
fn verdict(headers: &mut HeaderMap, value: &'static str) {
    let status = match value {
        "HIT" => "product-catalog; hit",
        "MISS" => "product-catalog; fwd=miss",
        _ => "product-catalog; fwd=bypass",
    };
    headers.insert(X_CACHE, HeaderValue::from_static(value));
    headers.insert(CACHE_STATUS, HeaderValue::from_static(status));
}

/// `X-Cache: STALE` and its `Cache-Status` for an answer from an entry past its TTL
/// (`ttl` negative, RFC 9211): a hit while one refresh runs, or after MongoDB could not be
/// read (`fwd=stale`).
fn stale_verdict(headers: &mut HeaderMap, staleness: Staleness) {
    let seconds = staleness.seconds;
    let status = match staleness.reason {
        StaleReason::Revalidating => {
            format!("product-catalog; hit; ttl=-{seconds}; detail=stale-while-revalidate")
        }
        StaleReason::Error => {
            format!("product-catalog; fwd=stale; ttl=-{seconds}; detail=stale-if-error")
        }
    };
    headers.insert(X_CACHE, HeaderValue::from_static("STALE"));
    if let Ok(value) = HeaderValue::from_str(&status) {
        headers.insert(CACHE_STATUS, value);
    }
}

/// The data source a handler attached to its answer, if any.
fn source_of<B>(response: &ServiceResponse<B>) -> Option<DataSource> {
    response
        .response()
        .extensions()
        .get::<DataSource>()
        .copied()
}

/// The middleware function for one cached route, for
/// `resource(..).wrap(from_fn(response_cache(store, caching, route, near)))`; `caching`
/// says how long a stored product response lives and what `Cache-Control` answers carry;
/// `near` (present with the near tier) replays list and count responses from process memory.
pub fn response_cache<B>(
    store: Arc<dyn ResponseStore>,
    caching: ResponseCaching,
    route: CachedRoute,
    near: Option<Arc<NearResponses>>,
) -> impl Fn(ServiceRequest, Next<B>) -> LocalBoxFuture<'static, Result<ServiceResponse<BoxBody>, Error>>
where
    B: MessageBody + 'static,
{
    move |req, next| {
        Box::pin(serve(
            store.clone(),
            caching.clone(),
            route,
            near.clone(),
            req,
            next,
        ))
    }
}

async fn serve<B: MessageBody + 'static>(
    store: Arc<dyn ResponseStore>,
    caching: ResponseCaching,
    route: CachedRoute,
    near: Option<Arc<NearResponses>>,
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let plan = plan(route, &req);
    if plan == Plan::PassThrough {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let response = if bypass_requested(&req) {
        mark(next.call(req).await?.map_into_boxed_body(), "BYPASS")
    } else {
        match plan {
            Plan::Stored(product) => {
                serve_stored(store, &caching, near, &product, req, next).await?
            }
            _ => serve_from_page_cache(route, &caching, near, req, next).await?,
        }
    };
    Ok(cacheable(response, &caching.cache_control))
}

/// Lets browsers and shared caches keep a catalogue answer on the terms of
/// `ResponseCaching` (revalidated before each use; `stale-if-error` where the service
/// serves stale itself). `Vary: Authorization` keeps a signed-in answer (marked `no-store`
/// by authentication anyway) from ever standing in for an anonymous one; compression adds
/// `Accept-Encoding`.
fn cacheable(
    mut response: ServiceResponse<BoxBody>,
    cache_control: &HeaderValue,
) -> ServiceResponse<BoxBody> {
    let status = response.status();
    if status == StatusCode::OK || status == StatusCode::NOT_MODIFIED {
        cacheable_headers(response.headers_mut(), cache_control);
    }
    response
}

/// The headers of `cacheable`; a replayed response carries them already, so this adds
/// neither twice.
fn cacheable_headers(headers: &mut HeaderMap, cache_control: &HeaderValue) {
    if !headers.contains_key(CACHE_CONTROL) {
        headers.insert(CACHE_CONTROL, cache_control.clone());
    }
    if !headers.get_all(VARY).any(|v| v == "Authorization") {
        headers.append(VARY, HeaderValue::from_static("Authorization"));
    }
}

/// A response to replay: its stored headers plus what every replayed 200 carries (where it
/// came from, the cache verdict, the caching policy), added once here rather than on
/// every replay.
fn ready_response(
    mut headers: HeaderMap,
    etag: String,
    body: Bytes,
    cache_control: &HeaderValue,
) -> ReadyResponse {
    headers.insert(X_DATA_SOURCE, HeaderValue::from_static("cache"));
    verdict(&mut headers, "HIT");
    cacheable_headers(&mut headers, cache_control);
    // Added once here, so the compression layer finds it on every replay.
    vary(&mut headers);
    ReadyResponse::new(headers, etag, body)
}

/// A product GET: replay the ready response or the stored one, or run the handler
/// and store its 200.
async fn serve_stored<B: MessageBody + 'static>(
    store: Arc<dyn ResponseStore>,
    caching: &ResponseCaching,
    near: Option<Arc<NearResponses>>,
    product: &ProductId,
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let slot = match &near {
        Some(_) => store.generation(product).await.map(|generation| {
            ResponseSlot::new(CachedRoute::Product, product.as_str(), generation)
        }),
        None => None,
    };
    if let (Some(near), Some(slot)) = (&near, &slot) {
        if let Some(ready) = near.get(slot) {
            return Ok(replay(req, &ready));
        }
    }
    let Some((generation, stored)) = store.lookup(product).await else {
        return Ok(mark(next.call(req).await?.map_into_boxed_body(), "BYPASS"));
    };
    if let Some(stored) = stored {
        let ready = Arc::new(ready_from(stored, &caching.cache_control));
        // Kept once read back from the store, so what it declines to store (size cap) is
        // not kept here either.
        let mut kept = false;
        if let (Some(near), Some(slot)) = (&near, slot) {
            if slot.generation() == generation {
                near.keep(slot, ready.clone());
                kept = true;
            }
        }
        return Ok(if kept {
            replay(req, &ready)
        } else {
            replay_plain(req, &ready)
        });
    }
    let mut response = next.call(req).await?;
    if let Some(DataSource::StaleCache(staleness)) = source_of(&response) {
        // Not stored: a stored response would be replayed as fresh.
        stale_verdict(response.headers_mut(), staleness);
        return Ok(response.map_into_boxed_body());
    }
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
        let stored = StoredResponse {
            content_type,
            etag: etag.clone(),
            body: body.to_owned(),
        };
        store.put(generation, product, &stored, caching.ttl).await;
    }
    if let Ok(value) = HeaderValue::from_str(&etag) {
        head.headers_mut().insert(ETAG, value);
    }
    let response = head.set_body(bytes).map_into_boxed_body();
    Ok(mark(ServiceResponse::new(request, response), "MISS"))
}

/// A stored product response made ready to send.
fn ready_from(stored: StoredResponse, cache_control: &HeaderValue) -> ReadyResponse {
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(&stored.content_type) {
        headers.insert(CONTENT_TYPE, value);
    }
    if let Ok(value) = HeaderValue::from_str(&stored.etag) {
        headers.insert(ETAG, value);
    }
    ready_response(
        headers,
        stored.etag,
        Bytes::from(stored.body),
        cache_control,
    )
}

/// A list or count GET: the handler answers from the list cache; label its answer by the
/// source it reports, give it a body ETag and answer a matching `If-None-Match` with 304.
async fn serve_from_page_cache<B: MessageBody + 'static>(
    route: CachedRoute,
    caching: &ResponseCaching,
    near: Option<Arc<NearResponses>>,
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let slot = match &near {
        Some(near) => near.list_slot(route, req.query_string()).await,
        None => None,
    };
    if let (Some(near), Some(slot)) = (&near, &slot) {
        if let Some(ready) = near.get(slot) {
            return Ok(replay(req, &ready));
        }
    }
    let mut if_none_match = actix_web::http::header::HeaderMap::new();
    for value in req.headers().get_all(IF_NONE_MATCH) {
        if_none_match.append(IF_NONE_MATCH, value.clone());
    }
    let response = next.call(req).await?;
    if response.status() != StatusCode::OK {
        return Ok(mark(response.map_into_boxed_body(), "MISS"));
    }
    let source = source_of(&response);
    let label = match source {
        Some(DataSource::Cache) => "HIT",
        Some(DataSource::DatabaseWithoutCache) => "BYPASS",
        Some(DataSource::StaleCache(_)) => "STALE",
        _ => "MISS",
    };
    let (request, response) = response.into_parts();
    let (mut head, body) = response.into_parts();
    let bytes = to_bytes(body)
        .await
        .map_err(|e| actix_web::error::ErrorInternalServerError(e.into()))?;
    let etag = body_etag(&bytes);
    if let Ok(value) = HeaderValue::from_str(&etag) {
        head.headers_mut().insert(ETAG, value);
    }
    // Only responses read from the list cache: what it declined to store (admission, size
    // cap) is not kept here either.
    if let (Some(near), Some(slot), "HIT") = (&near, slot, label) {
        let ready = ready_response(
            head.headers().clone(),
            etag.clone(),
            bytes.clone(),
            &caching.cache_control,
        );
        near.keep(slot, Arc::new(ready));
    }
    let response = if not_modified(&if_none_match, &etag) {
        HttpResponse::NotModified()
            .insert_header((ETAG, etag))
            .finish()
    } else {
        head.set_body(bytes).map_into_boxed_body()
    };
    let mut response = ServiceResponse::new(request, response);
    match source {
        Some(DataSource::StaleCache(staleness)) => {
            stale_verdict(response.headers_mut(), staleness);
            Ok(response)
        }
        _ => Ok(mark(response, label)),
    }
}

/// A kept response replayed, a HIT: a 304 when the client holds it, else its headers and
/// the body in the coding the compression layer chose for this request (compressed once
/// per response and coding), or the plain body.
fn replay(req: ServiceRequest, ready: &ReadyResponse) -> ServiceResponse<BoxBody> {
    let encoding = req.extensions().get::<Encoding>().copied();
    match encoding.and_then(|encoding| Some((encoding, ready.variant(encoding)?))) {
        Some((encoding, variant)) if !not_modified(req.headers(), &ready.etag) => {
            let mut response = response_with(ready, variant.body.clone());
            let headers = response.headers_mut();
            if let Ok(etag) = HeaderValue::from_str(&variant.etag) {
                headers.insert(ETAG, etag);
            }
            headers.insert(CONTENT_ENCODING, HeaderValue::from_static(encoding.token()));
            req.into_response(response)
        }
        _ => replay_plain(req, ready),
    }
}

/// A ready response replayed plain (or a 304 when the client holds it).
fn replay_plain(req: ServiceRequest, ready: &ReadyResponse) -> ServiceResponse<BoxBody> {
    if not_modified(req.headers(), &ready.etag) {
        let response = HttpResponse::NotModified()
            .insert_header((ETAG, ready.etag.as_str()))
            .finish();
        return mark(req.into_response(response), "HIT");
    }
    let response = response_with(ready, ready.body.clone());
    req.into_response(response)
}

/// A 200 with the response's headers and `body`.
fn response_with(ready: &ReadyResponse, body: Bytes) -> HttpResponse {
    let mut response = HttpResponse::Ok().body(body);
    let headers = response.headers_mut();
    for (name, value) in &ready.headers {
        headers.append(name.clone(), value.clone());
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::{call_service, init_service, TestRequest};
    use actix_web::{web, App};
    use std::time::Duration;

    use crate::usecases::cache::MockResponseStore;
    use actix_web::middleware::from_fn;

    const TTL: Duration = Duration::from_secs(60);
    const ID: &str = "665f1c0e9b1e8a3d4c2b1a09";

    fn caching() -> ResponseCaching {
        ResponseCaching::new(TTL, Duration::from_secs(300))
    }

    fn x_cache(response: &ServiceResponse) -> &str {
        response.headers().get("x-cache").unwrap().to_str().unwrap()
    }

    #[test]
    fn every_cached_route_is_registered_under_the_product_scope() {
        let paths: Vec<_> = CachedRoute::ALL.iter().map(|r| r.scope_path()).collect();
        assert_eq!(paths, ["", "/count", "/{id}"]);
    }

    async fn product_handler() -> HttpResponse {
        HttpResponse::Ok()
            .content_type("application/json")
            .body("{\"n\":1}")
    }

    macro_rules! product_app {
        ($store:expr) => {
            init_service(
                App::new().service(
                    web::scope("/api/products").service(
                        web::resource("/{id}")
                            .wrap(from_fn(response_cache(
                                Arc::new($store),
                                caching(),
                                CachedRoute::Product,
                                None,
                            )))
                            .route(web::get().to(product_handler)),
                    ),
                ),
            )
            .await
        };
    }

    #[actix_web::test]
    async fn a_rendered_product_answer_is_replayed_until_its_generation_moves() {
        let stored = StoredResponse {
            content_type: "application/json".into(),
            etag: "\"s\"".into(),
            body: "{\"n\":3}".into(),
        };
        let mut store = MockResponseStore::new();
        let mut generations = vec![Some(3), Some(3), Some(4)].into_iter();
        store
            .expect_generation()
            .times(3)
            .returning(move |_| generations.next().unwrap());
        store
            .expect_lookup()
            .times(1)
            .returning(move |_| Some((3, Some(stored.clone()))));
        store
            .expect_lookup()
            .times(1)
            .returning(|_| Some((4, None)));
        store.expect_put().times(1).return_const(());
        let lists = crate::usecases::cache::MockListCache::new();
        let near = Arc::new(NearResponses::new(
            Arc::new(lists),
            Arc::default(),
            10,
            TTL,
            TTL,
        ));
        let app = init_service(
            App::new().service(
                web::scope("/api/products").service(
                    web::resource("/{id}")
                        .wrap(from_fn(response_cache(
                            Arc::new(store),
                            caching(),
                            CachedRoute::Product,
                            Some(near),
                        )))
                        .route(web::get().to(product_handler)),
                ),
            ),
        )
        .await;
        let uri = format!("/api/products/{ID}");
        let first = call_service(&app, TestRequest::get().uri(&uri).to_request()).await;
        assert_eq!(x_cache(&first), "HIT");
        let replayed = call_service(&app, TestRequest::get().uri(&uri).to_request()).await;
        assert_eq!(x_cache(&replayed), "HIT", "from memory, no lookup");
        assert_eq!(replayed.headers().get("etag").unwrap(), "\"s\"");
        assert_eq!(to_bytes(replayed.into_body()).await.unwrap(), "{\"n\":3}");
        let moved = call_service(&app, TestRequest::get().uri(&uri).to_request()).await;
        assert_eq!(x_cache(&moved), "MISS", "a write moved the generation");
    }

    #[actix_web::test]
    async fn a_product_key_comes_from_the_matched_id_and_bad_ids_are_not_cached() {
        let mut store = MockResponseStore::new();
        store
            .expect_lookup()
            .withf(|product| product.as_str() == ID)
            .times(1)
            .returning(|_| Some((1, None)));
        store.expect_put().times(1).return_const(());
        let app = product_app!(store);
        let ok = TestRequest::get()
            .uri(&format!("/api/products/{}", ID.to_uppercase()))
            .to_request();
        assert_eq!(x_cache(&call_service(&app, ok).await), "MISS");
        let bad = TestRequest::get().uri("/api/products/xyz").to_request();
        assert!(!call_service(&app, bad)
            .await
            .headers()
            .contains_key("x-cache"));
    }

    #[actix_web::test]
    async fn a_product_miss_stores_then_a_hit_replays_without_the_handler() {
        let mut store = MockResponseStore::new();
        let mut seq = mockall::Sequence::new();
        store
            .expect_lookup()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| Some((3, None)));
        store
            .expect_put()
            .withf(|g, _, r, ttl| *g == 3 && r.body == "{\"n\":1}" && *ttl == TTL)
            .times(1)
            .in_sequence(&mut seq)
            .return_const(());
        let stored = StoredResponse {
            content_type: "application/json".into(),
            etag: "\"e\"".into(),
            body: "{\"n\":2}".into(),
        };
        store
            .expect_lookup()
            .times(1)
            .in_sequence(&mut seq)
            .returning(move |_| Some((3, Some(stored.clone()))));
        let app = product_app!(store);
        let uri = format!("/api/products/{ID}");
        let miss = call_service(&app, TestRequest::get().uri(&uri).to_request()).await;
        assert_eq!(x_cache(&miss), "MISS");
        assert_eq!(
            miss.headers().get("cache-status").unwrap(),
            "product-catalog; fwd=miss"
        );
        assert!(miss.headers().contains_key("etag"));
        let hit = call_service(&app, TestRequest::get().uri(&uri).to_request()).await;
        assert_eq!(x_cache(&hit), "HIT");
        assert_eq!(
            hit.headers().get("cache-status").unwrap(),
            "product-catalog; hit"
        );
        assert_eq!(to_bytes(hit.into_body()).await.unwrap(), "{\"n\":2}");
    }

    #[actix_web::test]
    async fn authorization_and_redis_trouble_bypass() {
        let mut store = MockResponseStore::new();
        store.expect_lookup().times(1).returning(|_| None);
        let app = product_app!(store);
        let uri = format!("/api/products/{ID}");
        let with_token = TestRequest::get()
            .uri(&uri)
            .insert_header(("Authorization", "Bearer x"))
            .to_request();
        assert_eq!(x_cache(&call_service(&app, with_token).await), "BYPASS");
        let redis_down = TestRequest::get().uri(&uri).to_request();
        assert_eq!(x_cache(&call_service(&app, redis_down).await), "BYPASS");
    }

    async fn list_handler(req: actix_web::HttpRequest) -> HttpResponse {
        let source = match req.query_string() {
            "page=1" => DataSource::Cache,
            "page=2" => DataSource::Database,
            _ => DataSource::DatabaseWithoutCache,
        };
        let mut response = HttpResponse::Ok()
            .content_type("application/json")
            .body("{\"items\":[]}");
        response.extensions_mut().insert(source);
        response
    }

    #[actix_web::test]
    async fn lists_are_labelled_by_their_source_and_never_stored_twice() {
        let app = init_service(
            App::new().service(
                web::scope("/api/products").service(
                    web::resource("")
                        .wrap(from_fn(response_cache(
                            Arc::new(MockResponseStore::new()),
                            caching(),
                            CachedRoute::List,
                            None,
                        )))
                        .route(web::get().to(list_handler)),
                ),
            ),
        )
        .await;
        let get = |query: &str| TestRequest::get().uri(&format!("/api/products?{query}"));
        let hit = call_service(&app, get("page=1").to_request()).await;
        assert_eq!(x_cache(&hit), "HIT");
        let etag = hit.headers().get("etag").unwrap().clone();
        assert_eq!(
            x_cache(&call_service(&app, get("page=2").to_request()).await),
            "MISS"
        );
        assert_eq!(
            x_cache(&call_service(&app, get("page=3").to_request()).await),
            "BYPASS"
        );
        let revalidated = call_service(
            &app,
            get("page=1")
                .insert_header(("If-None-Match", etag.clone()))
                .to_request(),
        )
        .await;
        assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(revalidated.headers().get("etag"), Some(&etag));
        assert!(!call_service(&app, get("limit=0").to_request())
            .await
            .headers()
            .contains_key("x-cache"));
    }
}
