//! The HTTP server of a running instance: the shared state the composition root built,
//! registered for the handlers, the app-wide middleware stack in order, the routes, and
//! the bound listener.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::{from_fn, Condition};
use actix_web::{web, App, HttpServer};
use shaku::HasComponent;

use super::components::Components;
use super::startup_error::StartupError;
use super::{AppModule, Settings};
use crate::interface::http as api;
use crate::interface::http::json::BodyLimit;
use crate::interface::http::middleware::{
    authentication, compression, head_as_get, record_request, request_span, security_headers,
};
use crate::usecases::auth::AuthenticateUseCase;

/// Binds the listener and starts serving (the returned server runs once awaited).
pub(super) fn serve(
    components: &Components,
    settings: &Settings,
) -> Result<(Server, u16), StartupError> {
    let address = format!("{}:{}", settings.server.host, settings.server.port);
    let bind_error = |source| StartupError::Bind {
        address: address.clone(),
        source,
    };
    let listener = TcpListener::bind(&address).map_err(bind_error)?;
    let port = listener.local_addr().map_err(bind_error)?.port();
    let module = components.module.clone();
    let body_limit = web::Data::new(BodyLimit(settings.server.body_limit_bytes));
    let shared = &components.shared;
    let metrics = web::Data::from(shared.metrics.clone());
    let status = web::Data::from(shared.status.clone());
    let feed = web::Data::from(shared.feed.clone());
    let frames = web::Data::from(shared.frames.clone());
    let cursors = web::Data::from(shared.cursors.clone());
    let http = settings.http.clone();
    let authenticate: Arc<dyn AuthenticateUseCase> = module.resolve();
    let rendered = shared.responses.clone();
    let reads = shared.reads.clone();
    let cors_enabled = !http.cors_origins.is_empty();
    // Wrap order: the last `.wrap` is the outermost. The request span comes first so
    // every line logged below it carries the request id; then the request metrics, so
    // every answer is counted, whichever layer gives it; then the security headers, on
    // every answer including CORS preflights and errors; then CORS, which answers
    // preflights before anything counts them; then compression, outside every layer that
    // reads or stores bodies, so stored responses stay uncompressed; it picks each
    // request's coding, which the response cache replays from variants it compressed once;
    // then HEAD served as GET; then authentication, so the rate limiter
    // and the extractors know the caller. `api::configure` lists the per-scope layers
    // inside these.
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(module.clone())
            .app_data(body_limit.clone())
            .app_data(metrics.clone())
            .app_data(status.clone())
            .app_data(feed.clone())
            .app_data(frames.clone())
            .app_data(cursors.clone())
            .wrap(from_fn(authentication(authenticate.clone())))
            .wrap(from_fn(head_as_get))
            .wrap(from_fn(compression))
            .wrap(Condition::new(
                cors_enabled,
                api::cors::cors(&http.cors_origins),
            ))
            .wrap(from_fn(security_headers))
            .wrap(from_fn(record_request(metrics.clone().into_inner())))
            .wrap(from_fn(request_span))
            .configure(api::configure::<AppModule>(
                &module,
                http.clone(),
                rendered.clone(),
                reads.clone(),
            ))
    })
    .on_connect(api::connection_socket::note_socket)
    .shutdown_timeout(10)
    .disable_signals();
    if let Some(workers) = settings.server.workers {
        server = server.workers(workers);
    }
    let server = server.listen(listener).map_err(bind_error)?.run();
    tracing::info!(port, "listening");
    Ok((server, port))
}
