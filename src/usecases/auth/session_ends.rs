//! Word, within this instance, that a user's sessions changed (a logout, a logout
//! everywhere), so what holds one open (an event feed) checks its own at once instead of
//! at its next periodic recheck. Other instances find out at that recheck.

use tokio::sync::broadcast;

use crate::domain::user::UserId;

/// Notices kept for listeners that fall behind; one that falls further checks anyway.
const CAPACITY: usize = 256;

#[derive(Debug)]
pub struct SessionEnds(broadcast::Sender<UserId>);

impl Default for SessionEnds {
    fn default() -> Self {
        Self(broadcast::channel(CAPACITY).0)
    }
}

impl SessionEnds {
    /// Some session of `user` ended.
    pub fn notify(&self, user: &UserId) {
        let _ = self.0.send(user.clone());
    }

    pub fn listen(&self) -> broadcast::Receiver<UserId> {
        self.0.subscribe()
    }
}
