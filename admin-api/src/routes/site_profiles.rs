//! A site's app profiles in the site routes: the input forms (a name, or a name and the path the
//! application is installed under) and their check against the shipped profiles.

use serde::Deserialize;
use waf_core::model::raw::RawProfileRef;

use crate::error::ApiError;

/// An app profile turned on for a site: its name, or its name and the path the application is
/// installed under.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum ProfileInput {
    /// The application is at the root of the site.
    #[schema(example = "wordpress")]
    Name(String),
    /// The application is installed under `path`.
    At(ProfileAt),
}

/// `{"name": "wordpress", "path": "/blog"}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileAt {
    /// Profile name.
    pub name: String,
    /// Path the application is installed under (starts with `/`).
    pub path: String,
}

impl ProfileInput {
    /// The checked reference: a known profile name and a path starting with `/`.
    pub(crate) fn checked(self) -> Result<RawProfileRef, ApiError> {
        let (name, path) = match self {
            ProfileInput::Name(n) => (n, "/".to_string()),
            ProfileInput::At(a) => (a.name, a.path),
        };
        waf_core::model::profiles::expand(&name, &path)
            .map_err(|e| ApiError::field("profiles", e))?;
        Ok(RawProfileRef { name, path })
    }
}
