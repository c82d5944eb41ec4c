use actix_web::http::header::HeaderMap;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use shaku_actix::Inject;

use super::ApiModule;
use crate::domain::event::{EventId, StoredEvent};
use crate::interface::http::client_address::ClientAddressPolicy;
use crate::interface::http::connection_socket::StreamSocket;
use crate::interface::http::dto::{ProductEventData, ShopperEventData};
use crate::interface::http::error::{ApiError, ErrorBody, FieldError};
use crate::interface::http::extractors::CurrentUser;
use crate::interface::http::sse::{self, Audience};
use crate::usecases::events::{EventFeed, ShopperView, SubscribeError, WatchWishlistUseCase};

module_part!(
    /// What these handlers resolve from the DI module.
    EventModule: dyn WatchWishlistUseCase
);

/// These handlers' part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(product_events, wishlist_events))]
pub struct EventPaths;

/// The resume point a reconnecting `EventSource` sends.
fn last_event_id(headers: &HeaderMap) -> Result<Option<EventId>, ApiError> {
    let Some(raw) = headers.get("last-event-id") else {
        return Ok(None);
    };
    raw.to_str()
        .ok()
        .and_then(EventId::parse)
        .map(Some)
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid Last-Event-ID",
                vec![FieldError::new(
                    "Last-Event-ID",
                    "must be an event id from this stream, like 1733365000000-0",
                )],
            )
        })
}

fn refused(error: SubscribeError) -> ApiError {
    match error {
        SubscribeError::ClientFull => ApiError::TooManyRequests {
            retry_after_secs: 5,
        },
        SubscribeError::InstanceFull | SubscribeError::Unavailable => {
            ApiError::Unavailable(error.to_string().into())
        }
    }
}

/// Every product event, as stored.
struct Everyone(web::Data<ProductFrames>);

impl Audience for Everyone {
    async fn render(&mut self, stored: &StoredEvent) -> Option<Bytes> {
        Some(self.0 .0.get_with(stored.id, || {
            sse::frame(stored.id, stored.event.kind.as_str(), &stored.event)
        }))
    }
}

/// The product feed's frames lately rendered, shared by its subscribers: every one of
/// them sends the same bytes for an event, so a live event or a replay page read by 200
/// subscribers is serialised once, not 200 times. One per server (the ids are this
/// instance's stream's).
pub struct ProductFrames(moka::sync::Cache<EventId, Bytes>);

impl Default for ProductFrames {
    fn default() -> Self {
        Self(
            moka::sync::Cache::builder()
                .max_capacity(4_096)
                .time_to_live(std::time::Duration::from_secs(60))
                .build(),
        )
    }
}

/// A shopper: their wishlisted products' shopper events only, for as long as the
/// session that opened the feed lasts.
struct Shopper(ShopperView);

impl Audience for Shopper {
    async fn render(&mut self, stored: &StoredEvent) -> Option<Bytes> {
        let meaning = self.0.wishlist.shopper_event(&stored.event).await?;
        let data = ShopperEventData::new(&stored.event.product_id, stored.event.version, meaning);
        Some(sse::frame(stored.id, meaning.name(), &data))
    }

    async fn ended(&mut self) -> Bytes {
        self.0.session.ended().await;
        sse::SESSION_ENDED.clone()
    }
}

/// Product events as Server-Sent Events: `product.created`, `product.updated` (with each
/// changed field's old and new value) and `product.deleted`. `id:` is the event's place in
/// the stream: reconnecting with `Last-Event-ID` replays exactly the events after it, in
/// order, once. `: heartbeat` comments keep idle connections open. Subscriptions per
/// client address and per instance are bounded.
#[utoipa::path(get, path = "/api/events/products", tag = "events",
    params(("Last-Event-ID" = Option<String>, Header, description = "Resume after this event id")),
    responses(
        (status = 200, description = "An endless `text/event-stream`; each `data:` is one JSON event, `event:` its type (`product.created`, `product.updated`, `product.deleted`; `replay-incomplete` when the resume point was already trimmed)", content_type = "text/event-stream", body = ProductEventData),
        (status = 400, description = "Malformed Last-Event-ID", body = ErrorBody),
        (status = 429, description = "This client holds its maximum number of subscriptions", body = ErrorBody),
        (status = 503, description = "Instance full, or the stream cannot be read (retry)", body = ErrorBody),
    ))]
#[tracing::instrument(name = "events.products", skip_all)]
pub async fn product_events(
    req: HttpRequest,
    feed: web::Data<EventFeed>,
    frames: web::Data<ProductFrames>,
    addresses: web::Data<ClientAddressPolicy>,
) -> Result<HttpResponse, ApiError> {
    let resume = last_event_id(req.headers())?;
    let client = addresses.of(&req);
    let feed = feed.into_inner();
    let subscription = feed.subscribe(&client, resume).await.map_err(refused)?;
    Ok(sse::response(
        subscription,
        Everyone(frames),
        StreamSocket::of(&req),
    ))
}

/// The signed-in shopper's wishlist news as Server-Sent Events: `price-dropped`,
/// `back-in-stock` (stock from 0 to more) and `removed` (the product was deleted), for
/// products on their wishlist only. Resumable with `Last-Event-ID` like the product feed.
#[utoipa::path(get, path = "/api/products/wishlist/events", tag = "events", security(("bearer" = [])),
    params(("Last-Event-ID" = Option<String>, Header, description = "Resume after this event id")),
    responses(
        (status = 200, description = "An endless `text/event-stream`; `event:` is `price-dropped`, `back-in-stock` or `removed`", content_type = "text/event-stream", body = ShopperEventData),
        (status = 400, description = "Malformed Last-Event-ID", body = ErrorBody),
        (status = 401, description = "No valid session", body = ErrorBody),
        (status = 429, description = "This user holds its maximum number of subscriptions", body = ErrorBody),
        (status = 503, description = "Instance full, or the stream or MongoDB cannot be read (retry)", body = ErrorBody),
    ))]
#[tracing::instrument(name = "events.wishlist", skip_all)]
pub async fn wishlist_events<M: ApiModule>(
    req: HttpRequest,
    user: CurrentUser,
    watch: Inject<M, dyn WatchWishlistUseCase>,
    feed: web::Data<EventFeed>,
) -> Result<HttpResponse, ApiError> {
    let resume = last_event_id(req.headers())?;
    let user_id = user.0.session.user_id;
    let feed = feed.into_inner();
    let subscription = feed
        .subscribe(&format!("user:{user_id}"), resume)
        .await
        .map_err(refused)?;
    let watch = watch.start(&user_id, &user.0.token).await?;
    Ok(sse::response(
        subscription,
        Shopper(watch),
        StreamSocket::of(&req),
    ))
}
