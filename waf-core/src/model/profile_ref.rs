//! How a site names an app profile in its rule file (`profiles: [wordpress]` or
//! `[{name: wordpress, path: /blog}]`): the two spellings and the one value they read as.

use serde::{Deserialize, Serialize};

fn slash() -> String {
    "/".into()
}

/// An app profile turned on for a site: its name, and the path the application is installed
/// under. Written as the bare name when the application is at the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawProfileRef {
    /// Profile name (`wordpress`, `mediawiki`, `phpmyadmin`).
    pub name: String,
    /// Install path of the application (`/` by default).
    pub path: String,
}

/// The two spellings of a [`RawProfileRef`].
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum ProfileRefForm {
    Name(String),
    At(ProfileAt),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileAt {
    name: String,
    #[serde(default = "slash")]
    path: String,
}

impl Serialize for RawProfileRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.path == "/" {
            ProfileRefForm::Name(self.name.clone())
        } else {
            ProfileRefForm::At(ProfileAt {
                name: self.name.clone(),
                path: self.path.clone(),
            })
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for RawProfileRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match ProfileRefForm::deserialize(d).map_err(|_| {
            serde::de::Error::custom(
                "a profile is a name (wordpress) or {name: wordpress, path: /blog}",
            )
        })? {
            ProfileRefForm::Name(name) => Ok(RawProfileRef {
                name,
                path: slash(),
            }),
            ProfileRefForm::At(a) => Ok(RawProfileRef {
                name: a.name,
                path: a.path,
            }),
        }
    }
}
