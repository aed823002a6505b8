//! Pure domain rules: no HTTP, no SQL.

pub mod credit;
pub mod loans;
pub mod market;
pub mod market_data;
pub mod symbols;
pub mod trading;
pub mod wallet;

/// A display name as stored: trimmed; `None` when nothing is left (a blank name, which the
/// API refuses).
///
/// ```
/// use meridian_server::domain::display_name;
/// assert_eq!(display_name("  Ada Lovelace "), Some("Ada Lovelace".to_owned()));
/// assert_eq!(display_name(" \t "), None);
/// ```
pub fn display_name(raw: &str) -> Option<String> {
    let trimmed = raw.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// Declares a domain enum stored and sent as fixed text: `text_enum!(Name { Variant =
/// "TEXT", … })` gives `as_str` and `FromStr` (unknown text → `Err`).
macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant),*
        }

        impl $name {
            /// The wire (and database) text.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),*
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)*
                    other => Err(format!("unknown {} `{other}`", stringify!($name))),
                }
            }
        }
    };
}

pub(crate) use text_enum;
