//! A shopper's wishlist: mark or unmark a product (membership and count in one
//! transaction), and list it.

mod list_wishlist;
mod set_wishlist_status;

pub use list_wishlist::{ListWishlist, ListWishlistParameters, ListWishlistUseCase};
pub use set_wishlist_status::{
    SetWishlistStatus, SetWishlistStatusParameters, SetWishlistStatusUseCase,
};
