use std::collections::HashMap;
use std::fmt::Display;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::{ready, Ready};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::domain::keyset::ListWindow;
use crate::domain::product::{Category, Money, Sku};
use crate::domain::query::{
    PageRequest, PageRequestError, ProductFilter, ProductSort, SearchText, SortField,
};
use crate::interface::http::cursor::CursorCodec;
use crate::interface::http::dto::number_text::NumberText;
use crate::interface::http::error::{ApiError, FieldError};

/// Query of list and count, parsed into domain values. Every bad parameter is reported in
/// one 400; unknown parameters are ignored (cache busters are common).
#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    pub filter: ProductFilter,
    pub sort: ProductSort,
    pub window: ListWindow,
}

/// The deepest item a numbered page may reach (`page × limit`); deeper, a cursor costs the
/// same as page 1 where an offset costs in proportion to its depth.
pub const MAX_NUMBERED_DEPTH: u64 = 10_000;

/// The documented parameters, for the OpenAPI document.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct ListQueryParams {
    /// Page number (default 1); `page × limit` at most 10,000: deeper, follow `nextCursor`.
    page: Option<u32>,
    /// A `nextCursor` or `prevCursor` from an earlier answer to the same query (same
    /// filters and sort; `limit` may change); not with `page`.
    cursor: Option<String>,
    /// Page size, 1 to 100 (default 10).
    limit: Option<u32>,
    /// The product with this SKU (any case).
    sku: Option<String>,
    /// Exact category.
    category: Option<String>,
    /// Words to find in name, description or category (1–100 characters; case and accents
    /// ignored; the last word also matches the start of a word).
    search: Option<String>,
    /// `true` or `false`.
    is_active: Option<bool>,
    /// Lowest price, inclusive.
    min_price: Option<f64>,
    /// Highest price, inclusive.
    max_price: Option<f64>,
    /// Compatibility: JSON `{"min":n,"max":n}`; `minPrice`/`maxPrice` win when both are given.
    price_range: Option<String>,
    /// `createdAt`, `-createdAt` (default), `price`, `-price`, `name`, `-name`, or
    /// `relevance` with a search (name matches first; paged by number only).
    sort: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PriceRange {
    min: Option<NumberText>,
    max: Option<NumberText>,
}

struct Parser {
    params: HashMap<String, String>,
    errors: Vec<FieldError>,
}

impl Parser {
    fn get<T, E: Display>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        let raw = self.params.get(name)?;
        match parse(raw) {
            Ok(value) => Some(value),
            Err(error) => {
                self.errors.push(FieldError::new(name, error));
                None
            }
        }
    }
}

fn integer(raw: &str) -> Result<u32, &'static str> {
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err("must be a positive integer");
    }
    raw.parse().map_err(|_| "is too large")
}

fn boolean(raw: &str) -> Result<bool, &'static str> {
    match raw {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err("must be true or false"),
    }
}

fn price_range(raw: &str) -> Result<(Option<Money>, Option<Money>), String> {
    let range: PriceRange = serde_json::from_str(raw)
        .map_err(|_| r#"must be JSON like {"min":10,"max":50}"#.to_owned())?;
    let money = |n: Option<NumberText>| {
        n.map(|n| Money::parse(n.as_str()))
            .transpose()
            .map_err(|e| e.to_string())
    };
    Ok((money(range.min)?, money(range.max)?))
}

impl ListQuery {
    /// Parses the query; cursors are read with `cursors` (none: a cursor is refused).
    pub fn parse(query_string: &str, cursors: Option<&CursorCodec>) -> Result<Self, ApiError> {
        let params = url::form_urlencoded::parse(query_string.as_bytes())
            .into_owned()
            .collect();
        let mut p = Parser {
            params,
            errors: Vec::new(),
        };

        let page = p.get("page", integer);
        let limit = p.get("limit", integer);
        let range = p.get("priceRange", price_range).unwrap_or((None, None));
        let filter = ProductFilter {
            sku: p.get("sku", Sku::parse),
            category: p.get("category", Category::parse),
            search: p.get("search", SearchText::parse),
            is_active: p.get("isActive", boolean),
            min_price: p.get("minPrice", Money::parse).or(range.0),
            max_price: p.get("maxPrice", Money::parse).or(range.1),
        };
        let sort = p.get("sort", ProductSort::parse).unwrap_or_default();
        if sort.field == SortField::Relevance && filter.search.is_none() {
            p.errors
                .push(FieldError::new("sort", "relevance needs a search"));
        }
        if let (Some(min), Some(max)) = (filter.min_price, filter.max_price) {
            if min > max {
                p.errors.push(FieldError::new(
                    "minPrice",
                    "must not be greater than maxPrice",
                ));
            }
        }
        let page = PageRequest::new(
            page.unwrap_or(1),
            limit.unwrap_or(PageRequest::DEFAULT_LIMIT),
        );
        if let Err(error) = &page {
            let name = match error {
                PageRequestError::Page => "page",
                PageRequestError::Limit => "limit",
            };
            if !p.errors.iter().any(|e| e.field == name) {
                p.errors.push(FieldError::new(name, error));
            }
        }
        let window = match (page, p.params.get("cursor").cloned()) {
            (Ok(page), None) => numbered(page, &mut p),
            (Ok(_), Some(_)) if sort.field == SortField::Relevance => {
                p.errors.push(FieldError::new(
                    "cursor",
                    "relevance-ranked results are paged by number only",
                ));
                None
            }
            (Ok(page), Some(cursor)) => {
                if p.params.contains_key("page") {
                    p.errors
                        .push(FieldError::new("page", "cannot be combined with cursor"));
                }
                let keyset = cursors
                    .ok_or(crate::interface::http::cursor::CursorError::Invalid)
                    .and_then(|codec| codec.decode(&cursor, &filter, sort, page.limit()));
                match keyset {
                    Ok(keyset) => Some(ListWindow::Keyset(keyset)),
                    Err(error) => {
                        p.errors.push(FieldError::new("cursor", error));
                        None
                    }
                }
            }
            (Err(_), _) => None,
        };
        match window {
            Some(window) if p.errors.is_empty() => Ok(Self {
                filter,
                sort,
                window,
            }),
            _ => Err(ApiError::bad_request("invalid query parameters", p.errors)),
        }
    }
}

/// A numbered page, if it lies within `MAX_NUMBERED_DEPTH`.
fn numbered(page: PageRequest, p: &mut Parser) -> Option<ListWindow> {
    let depth = u64::from(page.page()) * u64::from(page.limit());
    if depth > MAX_NUMBERED_DEPTH {
        p.errors.push(FieldError::new(
            "page",
            format!(
                "page × limit must not exceed {MAX_NUMBERED_DEPTH}; to go deeper, follow \
                 nextCursor with the cursor parameter"
            ),
        ));
        return None;
    }
    Some(ListWindow::Numbered(page))
}

/// Query of a paged route that filters and sorts nothing (the wishlist): `page` and `limit`
/// only. Anything else is refused with its name, rather than silently ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageQuery(pub PageRequest);

impl PageQuery {
    pub fn parse(query_string: &str) -> Result<Self, ApiError> {
        let mut p = Parser {
            params: url::form_urlencoded::parse(query_string.as_bytes())
                .into_owned()
                .collect(),
            errors: Vec::new(),
        };
        let mut unsupported: Vec<String> = p
            .params
            .keys()
            .filter(|name| !matches!(name.as_str(), "page" | "limit"))
            .cloned()
            .collect();
        unsupported.sort();
        for name in unsupported {
            p.errors.push(FieldError::new(
                name,
                "is not supported on this route (only page and limit)",
            ));
        }
        let page = p.get("page", integer).unwrap_or(1);
        let limit = p
            .get("limit", integer)
            .unwrap_or(PageRequest::DEFAULT_LIMIT);
        match PageRequest::new(page, limit) {
            Ok(page) if p.errors.is_empty() => Ok(Self(page)),
            Ok(_) => Err(ApiError::bad_request("invalid query parameters", p.errors)),
            Err(error) => {
                let name = match error {
                    PageRequestError::Page => "page",
                    PageRequestError::Limit => "limit",
                };
                if !p.errors.iter().any(|e| e.field == name) {
                    p.errors.push(FieldError::new(name, error));
                }
                Err(ApiError::bad_request("invalid query parameters", p.errors))
            }
        }
    }
}

impl FromRequest for PageQuery {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Self::parse(req.query_string()))
    }
}

impl FromRequest for ListQuery {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let cursors = req.app_data::<actix_web::web::Data<CursorCodec>>();
        ready(Self::parse(
            req.query_string(),
            cursors.map(|data| data.get_ref()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(query: &str) -> Vec<String> {
        match ListQuery::parse(query, None) {
            Err(ApiError::BadRequest { errors, .. }) => {
                let mut fields: Vec<String> = errors.into_iter().map(|e| e.field).collect();
                fields.sort();
                fields
            }
            other => panic!("expected 400 for {query}: {other:?}"),
        }
    }

    #[test]
    fn a_page_query_takes_page_and_limit_and_names_anything_else() {
        let q = PageQuery::parse("page=2&limit=5").unwrap();
        assert_eq!((q.0.page(), q.0.limit()), (2, 5));
        assert_eq!(PageQuery::parse("").unwrap().0, PageRequest::default());
        for (query, expected) in [
            ("sort=-price", vec!["sort"]),
            ("category=x&page=1", vec!["category"]),
            ("limit=0&search=a", vec!["limit", "search"]),
        ] {
            match PageQuery::parse(query) {
                Err(ApiError::BadRequest { errors, .. }) => {
                    let mut fields: Vec<String> = errors.into_iter().map(|e| e.field).collect();
                    fields.sort();
                    assert_eq!(fields, expected, "{query}");
                }
                other => panic!("expected 400 for {query}: {other:?}"),
            }
        }
    }

    #[test]
    fn defaults() {
        let q = ListQuery::parse("", None).unwrap();
        assert_eq!(q.window, ListWindow::Numbered(PageRequest::default()));
        assert_eq!(q.sort, ProductSort::default());
    }

    #[test]
    fn rejects_each_bad_parameter_by_name() {
        assert_eq!(fields("limit=0"), ["limit"]);
        assert_eq!(fields("limit=101"), ["limit"]);
        assert_eq!(fields("page=x"), ["page"]);
        assert_eq!(fields("page=0"), ["page"]);
        assert_eq!(fields("page=-1"), ["page"]);
        assert_eq!(
            fields("page=101&limit=100"),
            ["page"],
            "past the numbered depth"
        );
        assert_eq!(fields("page=1001"), ["page"]);
        assert_eq!(fields("cursor=abc"), ["cursor"]);
        assert_eq!(fields("cursor=abc&page=2"), ["cursor", "page"]);
        assert_eq!(fields("isActive=maybe"), ["isActive"]);
        assert_eq!(fields("sort=stock"), ["sort"]);
        assert_eq!(fields("minPrice=-1"), ["minPrice"]);
        assert_eq!(fields("minPrice=5&maxPrice=1"), ["minPrice"]);
        assert_eq!(fields("priceRange=nope"), ["priceRange"]);
        assert_eq!(
            fields("page=x&limit=0&isActive=1"),
            ["isActive", "limit", "page"]
        );
    }

    #[test]
    fn price_range_and_explicit_bounds() {
        let q = ListQuery::parse(
            "priceRange=%7B%22min%22%3A10%2C%22max%22%3A50%7D&maxPrice=40",
            None,
        )
        .unwrap();
        assert_eq!(q.filter.min_price.unwrap().cents(), 1000);
        assert_eq!(q.filter.max_price.unwrap().cents(), 4000);
        let q = ListQuery::parse("isActive=false&sort=-price&page=2&limit=5", None).unwrap();
        assert_eq!(q.filter.is_active, Some(false));
        assert_eq!(
            q.window,
            ListWindow::Numbered(PageRequest::new(2, 5).unwrap())
        );
    }
}
