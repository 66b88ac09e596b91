//! Who is calling the public API: the API must be switched on, and the bearer token must be
//! valid, unexpired and carry the invoke ability. Checked in that order, from memory only.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use gateway::tokens::{INVOKE_ABILITY, TokenError};
use gateway::{Caller, CallerKind, Gateway};

use crate::error::ApiError;

/// The authenticated caller of an API request.
pub(crate) struct ApiCaller(pub Caller);

impl<S> FromRequestParts<S> for ApiCaller
where
    S: Send + Sync,
    Gateway: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let gateway = Gateway::from_ref(state);
        ensure_api_enabled(&gateway)?;
        let presented = bearer(&parts.headers).unwrap_or_default();
        let token = gateway.verify_token(presented).map_err(|e: TokenError| {
            let mut error = ApiError::new(StatusCode::UNAUTHORIZED, e.to_string());
            error.www_authenticate();
            error
        })?;
        if !token.can(INVOKE_ABILITY) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!("This token lacks the {INVOKE_ABILITY} ability."),
            ));
        }
        Ok(Self(Caller {
            kind: CallerKind::Api,
            id: Some(token.caller_id()),
        }))
    }
}

/// The runtime switch: when off, the API answers as if it did not exist.
pub(crate) fn ensure_api_enabled(gateway: &Gateway) -> Result<(), ApiError> {
    if gateway.snapshot().settings.api_enabled {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "The AI gateway API is switched off.",
        ))
    }
}

/// The token of an `Authorization: Bearer …` header (the scheme in either case), trimmed.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
}

/// Whether a presented secret is the configured one. Both sides are hashed before a
/// constant-time comparison, so neither the secret's bytes nor its length leak through timing.
pub(crate) fn same_secret(presented: &str, expected: &str) -> bool {
    use sha2::{Digest, Sha256};
    use subtle::ConstantTimeEq;
    Sha256::digest(presented.as_bytes())
        .ct_eq(&Sha256::digest(expected.as_bytes()))
        .into()
}
