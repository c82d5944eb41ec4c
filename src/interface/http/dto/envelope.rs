use serde::Serialize;
use utoipa::ToSchema;

/// The success envelope: `{"status":"success","data":...,"message":...}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Envelope<T> {
    /// Always `success`.
    #[schema(example = "success")]
    pub status: &'static str,
    pub data: T,
    pub message: String,
}

impl<T> Envelope<T> {
    pub fn new(data: T, message: impl Into<String>) -> Self {
        Self {
            status: "success",
            data,
            message: message.into(),
        }
    }
}
