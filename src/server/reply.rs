//! Answers: JSON bodies, and errors as `{"error": ..., "field": ...}` with the right status,
//! so a client always learns what was wrong and where.

use serde::Serialize;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};

/// An error answer.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// The request field at fault, if one is.
    pub field: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            field: None,
        }
    }

    pub fn bad_field(field: &str, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            field: Some(field.to_owned()),
        }
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "a valid token is needed: send `Authorization: Bearer <token>`",
        )
    }

    pub fn forbidden(what: &str) -> Self {
        Self::new(StatusCode::FORBIDDEN, format!("your role may not {what}"))
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, what)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, message)
    }

    pub fn internal(message: impl std::fmt::Display) -> Self {
        tracing::warn!("internal error: {message}");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, message.to_string())
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl Reply for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: &self.message,
            field: self.field.as_deref(),
        };
        warp::reply::with_status(warp::reply::json(&body), self.status).into_response()
    }
}

/// A handler's result as a response.
pub fn answer<T: Serialize>(result: Result<T, ApiError>) -> Response {
    match result {
        Ok(value) => warp::reply::json(&value).into_response(),
        Err(e) => e.into_response(),
    }
}

/// [`answer`] for a request that made something: 201 Created with it.
pub fn created<T: Serialize>(result: Result<T, ApiError>) -> Response {
    match result {
        Ok(value) => {
            warp::reply::with_status(warp::reply::json(&value), StatusCode::CREATED).into_response()
        }
        Err(e) => e.into_response(),
    }
}

/// Parses a JSON body, naming the field at fault: by its path (`skills`, `leads[2].phone`)
/// where the deserializer went, else (inside an action's tagged body, which serde reads
/// whole first) the field a "missing field" or "unknown field" message names.
pub fn parse_body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut json = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut json).map_err(|e| {
        let path = e.path().to_string();
        let text = e.inner().to_string();
        // serde says "missing field `reason`" or "unknown field `x`, expected ..."
        let named = text
            .split('`')
            .nth(1)
            .filter(|_| text.starts_with("missing field") || text.starts_with("unknown field"))
            .map(str::to_owned);
        // An unknown field's path ends with it; a missing one's is its parent's.
        let field = match named {
            Some(name) if path == "." => Some(name),
            Some(name) if path == name || path.ends_with(&format!(".{name}")) => Some(path),
            Some(name) => Some(format!("{path}.{name}")),
            None if path == "." => None,
            None => Some(path),
        };
        let message = match &field {
            Some(f) if !text.contains(&format!("`{f}`")) => {
                format!("the request body: {f}: {text}")
            }
            _ => format!("the request body: {text}"),
        };
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message,
            field,
        }
    })
}
