//! The TCP socket under a request, for answers that outlive their handler (event streams):
//! their kernel send buffer is kept small, and a client that stops reading can be cut off
//! even though the server no longer polls its body (actix stops polling a body while the
//! socket will not take more).

use std::any::Any;
use std::net::Shutdown;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};

use actix_web::dev::Extensions;
use actix_web::HttpRequest;

/// Connection data: the descriptor of a plain TCP connection's socket.
#[derive(Debug, Clone, Copy)]
struct ConnectionSocket(RawFd);

/// For `HttpServer::on_connect`: notes the socket of each plain TCP connection (other
/// transports have none, and their event streams go without a write deadline).
pub fn note_socket(connection: &dyn Any, data: &mut Extensions) {
    if let Some(tcp) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() {
        data.insert(ConnectionSocket(tcp.as_raw_fd()));
    }
}

/// A descriptor of its own on the socket of a request's connection: valid for as long as
/// it is held, whatever becomes of the connection (a shutdown of a socket the connection
/// already closed does nothing).
#[derive(Debug)]
pub struct StreamSocket(OwnedFd);

impl StreamSocket {
    /// The socket under `request`, if its connection is plain TCP.
    pub fn of(request: &HttpRequest) -> Option<Self> {
        let ConnectionSocket(fd) = *request.conn_data::<ConnectionSocket>()?;
        // SAFETY: the connection owns `fd` and keeps it open while one of its requests is
        // being handled, which is when this runs; the duplicate made here is ours alone.
        let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
        borrowed.try_clone_to_owned().ok().map(Self)
    }

    /// Caps the kernel's send buffer (it otherwise grows to megabytes per connection).
    pub fn limit_send_buffer(&self, bytes: usize) {
        let _ = socket2::SockRef::from(&self.0).set_send_buffer_size(bytes);
    }

    /// Ends the connection in both directions: the server's next write fails, and the
    /// connection and everything its answer holds are dropped.
    pub fn cut(&self) {
        let _ = socket2::SockRef::from(&self.0).shutdown(Shutdown::Both);
    }
}
