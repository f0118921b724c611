//! Which apps (dataframes) of the store a server serves.
//!
//! A store holds every dataframe of the process, fluxion's own among them
//! (`fluxion-contexts`, whose values workers restore with `v8.deserialize`): a server serves
//! the apps it is given by name, or every app but the internal ones, and never lets a client
//! push to an internal app.

use std::collections::BTreeSet;

/// Apps whose names start with this are fluxion's own.
pub const INTERNAL_PREFIX: &str = "fluxion-";

/// What a client may do with an app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Not served: answered as an unknown app (404).
    Hidden,
    /// Fetches only (an internal app named explicitly): pushes get 403.
    ReadOnly,
    ReadWrite,
}

/// The served apps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ServedApps {
    /// Every app of the store except the internal ones.
    #[default]
    Public,
    /// Exactly these (an internal one among them is served read-only).
    Named(BTreeSet<String>),
}

impl ServedApps {
    pub fn named<S: Into<String>>(names: impl IntoIterator<Item = S>) -> ServedApps {
        ServedApps::Named(names.into_iter().map(Into::into).collect())
    }

    pub fn access(&self, app: &str) -> Access {
        let internal = app.starts_with(INTERNAL_PREFIX);
        match self {
            ServedApps::Public if internal => Access::Hidden,
            ServedApps::Public => Access::ReadWrite,
            ServedApps::Named(names) if !names.contains(app) => Access::Hidden,
            ServedApps::Named(_) if internal => Access::ReadOnly,
            ServedApps::Named(_) => Access::ReadWrite,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_apps_are_hidden_unless_named_and_then_read_only() {
        let public = ServedApps::Public;
        assert_eq!(public.access("Chat"), Access::ReadWrite);
        assert_eq!(public.access("fluxion-contexts"), Access::Hidden);
        let named = ServedApps::named(["Chat", "fluxion-contexts"]);
        assert_eq!(named.access("Chat"), Access::ReadWrite);
        assert_eq!(named.access("Other"), Access::Hidden);
        assert_eq!(named.access("fluxion-contexts"), Access::ReadOnly);
    }
}
