//! Which routes the response cache serves: named once, used by the routes, the response
//! cache, the rendered answers and the OpenAPI document.

/// A route whose successful anonymous GETs are cached. The one list of them: the routes
/// wrap exactly these resources and the OpenAPI document marks exactly these paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
}
