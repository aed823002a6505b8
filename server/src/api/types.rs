//! Wire types shared by every group: RFC 3339 timestamps with milliseconds, exact decimals
//! as JSON numbers, nullable and optional wrappers.

use std::borrow::Cow;

use chrono::{DateTime, SecondsFormat, Utc};
use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type};
use serde_json::Value;

/// A UTC instant on the wire as `2024-12-30T15:30:00.000Z` (RFC 3339, milliseconds, `Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub DateTime<Utc>);

impl Timestamp {
    /// The current instant.
    pub fn now() -> Self {
        Self(Utc::now())
    }

    /// A stored UTC instant (the database keeps naive UTC timestamps).
    pub fn from_naive(t: chrono::NaiveDateTime) -> Self {
        Self(t.and_utc())
    }

    /// The wire text.
    pub fn to_rfc3339(&self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::Millis, true)
    }
}

impl Type for Timestamp {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "string_date-time".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("string", "date-time")))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl ToJSON for Timestamp {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.to_rfc3339()))
    }
}

impl ParseFromJSON for Timestamp {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            Some(Value::String(s)) => DateTime::parse_from_rfc3339(&s)
                .map(|t| Self(t.with_timezone(&Utc)))
                .map_err(|e| ParseError::custom(format!("not an RFC 3339 date-time: {e}"))),
            other => Err(ParseError::expected_type(other.unwrap_or_default())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_milliseconds_and_z() {
        let t = Timestamp(
            DateTime::parse_from_rfc3339("2024-12-30T15:30:00.123456+00:00")
                .unwrap()
                .to_utc(),
        );
        assert_eq!(t.to_json(), Some(Value::String("2024-12-30T15:30:00.123Z".into())));
        let back = Timestamp::parse_from_json(Some(Value::String("2024-12-30T15:30:00.000Z".into()))).unwrap();
        assert_eq!(back.to_rfc3339(), "2024-12-30T15:30:00.000Z");
        assert!(Timestamp::parse_from_json(Some(Value::from(5))).is_err());
    }
}

/// A boolean that is always `true` on the wire (`{type: boolean, enum: [true]}`), e.g.
/// `requires_2fa`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct True;

impl Type for True {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "boolean_true".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            enum_items: vec![Value::Bool(true)],
            ..MetaSchema::new("boolean")
        }))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl ToJSON for True {
    fn to_json(&self) -> Option<Value> {
        Some(Value::Bool(true))
    }
}

impl ParseFromJSON for True {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            Some(Value::Bool(true)) => Ok(Self),
            other => Err(ParseError::expected_type(other.unwrap_or_default())),
        }
    }
}

/// A JSON request body that may be absent altogether (no body, or no `Content-Type`):
/// `requestBody.required: false`.
pub struct OptionalJson<T>(pub Option<T>);

impl<'a, T: ParseFromJSON + Type + Send> poem_openapi::ApiExtractor<'a> for OptionalJson<T> {
    const TYPES: &'static [poem_openapi::ApiExtractorType] = &[poem_openapi::ApiExtractorType::RequestObject];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut poem_openapi::registry::Registry) {
        T::register(registry);
    }

    fn request_meta() -> Option<poem_openapi::registry::MetaRequest> {
        Some(poem_openapi::registry::MetaRequest {
            description: None,
            content: vec![poem_openapi::registry::MetaMediaType {
                content_type: "application/json; charset=utf-8",
                schema: T::schema_ref(),
            }],
            required: false,
        })
    }

    async fn from_request(
        _req: &'a poem::Request,
        body: &mut poem::RequestBody,
        _opts: poem_openapi::ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let bytes = body.take()?.into_bytes().await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(None));
        }
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| crate::error::ApiError::bad_request(format!("The request body is not valid JSON: {e}.")))?;
        T::parse_from_json(Some(value)).map(|v| Self(Some(v))).map_err(|e| {
            crate::error::ApiError::bad_request(format!("Invalid request body: {}", e.into_message())).into()
        })
    }
}

/// A value that is documented `nullable: true`: `null` on the wire for `None`. As a field it
/// is required (always sent, possibly `null`); with `REQUIRED = false` (see
/// [`SentNullable`]) the schema lists it as optional, but it is still always sent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Nullable<T, const REQUIRED: bool = true>(pub Option<T>);

/// A nullable field the schema does not list in `required` but the server always sends
/// (`null` while unknown), e.g. a loan's lifecycle fields. Parses a missing field as `None`.
pub type SentNullable<T> = Nullable<T, false>;

impl<T, const R: bool> From<Option<T>> for Nullable<T, R> {
    fn from(value: Option<T>) -> Self {
        Self(value)
    }
}

impl<T: Type, const R: bool> Type for Nullable<T, R> {
    const IS_REQUIRED: bool = R;
    type RawValueType = T::RawValueType;
    type RawElementValueType = T::RawElementValueType;

    fn name() -> Cow<'static, str> {
        format!("nullable_{}", T::name()).into()
    }

    fn schema_ref() -> MetaSchemaRef {
        match T::schema_ref() {
            MetaSchemaRef::Inline(schema) => MetaSchemaRef::Inline(Box::new(MetaSchema {
                nullable: true,
                ..*schema
            })),
            reference @ MetaSchemaRef::Reference(_) => MetaSchemaRef::Inline(Box::new(MetaSchema {
                nullable: true,
                all_of: vec![reference],
                ..MetaSchema::ANY
            })),
        }
    }

    fn register(registry: &mut poem_openapi::registry::Registry) {
        T::register(registry);
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        self.0.as_ref().and_then(Type::as_raw_value)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        match &self.0 {
            Some(value) => value.raw_element_iter(),
            None => Box::new(std::iter::empty()),
        }
    }
}

impl<T: ToJSON, const R: bool> ToJSON for Nullable<T, R> {
    fn to_json(&self) -> Option<Value> {
        Some(self.0.as_ref().and_then(ToJSON::to_json).unwrap_or(Value::Null))
    }
}

impl<T: ParseFromJSON, const R: bool> ParseFromJSON for Nullable<T, R> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            None | Some(Value::Null) => Ok(Self(None)),
            other => T::parse_from_json(other)
                .map(|v| Self(Some(v)))
                .map_err(ParseError::propagate),
        }
    }
}

/// An exact decimal on the wire (`DecimalNumber`): a JSON number carrying the decimal's exact
/// text (`68965.52`, never through `f64`), trailing zeros removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct DecimalNumber(pub rust_decimal::Decimal);

impl From<rust_decimal::Decimal> for DecimalNumber {
    fn from(value: rust_decimal::Decimal) -> Self {
        Self(value)
    }
}

impl Type for DecimalNumber {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "number_decimal".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("number", "decimal")))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl ToJSON for DecimalNumber {
    fn to_json(&self) -> Option<Value> {
        // serde_json's `arbitrary_precision` keeps the text of a parsed number exactly.
        let text = self.0.normalize().to_string();
        Some(Value::Number(text.parse().expect("a decimal's text is a JSON number")))
    }
}

impl ParseFromJSON for DecimalNumber {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            Some(Value::Number(n)) => parse_decimal(&n.to_string()).map(Self).map_err(ParseError::custom),
            other => Err(ParseError::expected_type(other.unwrap_or_default())),
        }
    }
}

/// An exact decimal in a request (`DecimalInput`): a JSON number (`10000.00`) or a decimal
/// string (`"0.5"`); no exponent, at most 18 digits after the point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct DecimalInput(pub rust_decimal::Decimal);

impl Type for DecimalInput {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "decimal_input".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            one_of: vec![
                MetaSchemaRef::Inline(Box::new(MetaSchema::new("number"))),
                MetaSchemaRef::Inline(Box::new(MetaSchema::new("string"))),
            ],
            ..MetaSchema::ANY
        }))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl ToJSON for DecimalInput {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.normalize().to_string()))
    }
}

impl ParseFromJSON for DecimalInput {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        let text = match value {
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::String(s)) => s,
            other => return Err(ParseError::expected_type(other.unwrap_or_default())),
        };
        parse_decimal(&text).map(Self).map_err(ParseError::custom)
    }
}

/// Parses decimal text exactly: digits with an optional sign and fraction, no exponent, at
/// most 18 fraction digits, within the 28 significant digits an exact decimal holds.
pub fn parse_decimal(text: &str) -> Result<rust_decimal::Decimal, String> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let well_formed = !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
        && (frac.len() <= 18)
        && !(digits.contains('.') && frac.is_empty());
    // The messages never repeat the text: it may be megabytes long, and a backtick in it
    // would be read as a field name (`crate::error::json_field_from_reason`).
    if !well_formed {
        return Err(
            "must be a plain decimal: digits with an optional minus sign and point, at most 18 decimals, \
             no exponent"
                .to_owned(),
        );
    }
    rust_decimal::Decimal::from_str_exact(text)
        .map_err(|_| "has more significant digits than an exact decimal holds (28)".to_owned())
}

#[cfg(test)]
mod decimal_tests {
    use super::*;

    #[test]
    fn decimals_travel_as_exact_json_numbers() {
        let d = DecimalNumber("99.3103488000".parse().unwrap());
        assert_eq!(serde_json::to_string(&d.to_json().unwrap()).unwrap(), "99.3103488");
        let zero = DecimalNumber(rust_decimal::Decimal::ZERO);
        assert_eq!(serde_json::to_string(&zero.to_json().unwrap()).unwrap(), "0");
        let parsed: Value = serde_json::from_str("68965.520000000000000001").unwrap();
        assert_eq!(
            DecimalNumber::parse_from_json(Some(parsed)).unwrap().0.to_string(),
            "68965.520000000000000001"
        );
    }

    #[test]
    fn inputs_take_numbers_and_strings_but_no_exponents() {
        let from_str = DecimalInput::parse_from_json(Some(Value::String("0.5".into()))).unwrap();
        let from_num = DecimalInput::parse_from_json(Some(serde_json::from_str("0.50").unwrap())).unwrap();
        assert_eq!(from_str.0, from_num.0);
        for bad in ["1e5", "abc", "", ".5", "5.", "1.1234567890123456789", "NaN"] {
            assert!(parse_decimal(bad).is_err(), "{bad}");
        }
        assert!(DecimalInput::parse_from_json(Some(Value::Bool(true))).is_err());
        assert_eq!(parse_decimal("-47.65").unwrap().to_string(), "-47.65");
    }
}

/// Declares a wire enum (a poem-openapi `Enum`, variants in SCREAMING_SNAKE_CASE unless
/// another poem-openapi case is named with `as "snake_case"`) mapped one to one onto a domain
/// type, with `From` both ways: `wire_enum!(Name => Domain { Variant = Domain::Value, … })`.
macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident => $domain:ty { $($body:tt)* }) => {
        wire_enum!($(#[$doc])* $name => $domain as "SCREAMING_SNAKE_CASE" { $($body)* });
    };
    ($(#[$doc:meta])* $name:ident => $domain:ty as $case:literal { $($(#[$vdoc:meta])* $variant:ident = $value:expr),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::poem_openapi::Enum)]
        #[oai(rename_all = $case)]
        pub enum $name {
            $($(#[$vdoc])* $variant),*
        }

        impl From<$name> for $domain {
            fn from(value: $name) -> Self {
                match value {
                    $($name::$variant => $value),*
                }
            }
        }

        impl From<$domain> for $name {
            fn from(value: $domain) -> Self {
                $(if value == $value {
                    return $name::$variant;
                })*
                unreachable!("every domain value has a wire name")
            }
        }
    };
}

pub(crate) use wire_enum;

/// A calendar date on the wire as `2025-02-28` (`format: date`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct CalendarDate(pub chrono::NaiveDate);

impl Type for CalendarDate {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "string_date".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("string", "date")))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl ToJSON for CalendarDate {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.format("%Y-%m-%d").to_string()))
    }
}

impl ParseFromJSON for CalendarDate {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            Some(Value::String(s)) => chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                .map(Self)
                .map_err(|e| ParseError::custom(format!("not a date (YYYY-MM-DD): {e}"))),
            other => Err(ParseError::expected_type(other.unwrap_or_default())),
        }
    }
}

/// The first page: the default of every `page` parameter.
pub fn default_page() -> i64 {
    1
}

/// The default page size of every list (`per_page`, `limit`): 20.
pub fn default_page_size() -> i64 {
    20
}

/// The row offset of page `page` (from 1) of `size` items.
pub fn page_offset(page: i64, size: i64) -> i64 {
    (page - 1).saturating_mul(size)
}

/// Seed 003's pagination object (credit history, loans).
#[derive(Debug, Clone, poem_openapi::Object)]
pub struct PerPagePagination {
    /// This page's number, starting at 1.
    pub page: i64,
    /// Page size used.
    pub per_page: i64,
    /// Items over all pages.
    pub total: i64,
    /// Number of pages.
    pub pages: i64,
    /// Whether a later page exists.
    pub has_next: bool,
    /// Whether an earlier page exists.
    pub has_prev: bool,
}

impl PerPagePagination {
    /// The pagination of page `page` of `per_page` items out of `total`.
    pub fn of(page: i64, per_page: i64, total: i64) -> Self {
        let pages = (total + per_page - 1) / per_page;
        Self {
            page,
            per_page,
            total,
            pages,
            has_next: page < pages,
            has_prev: page > 1,
        }
    }
}

/// A response body as stored for retries (an `Idempotency-Key` or `clientOrderId` replay).
pub fn to_stored<T: ToJSON>(body: &T) -> String {
    body.to_json().map(|v| v.to_string()).unwrap_or_default()
}

/// A stored response body parsed back (what a retry answers).
pub fn from_stored<T: ParseFromJSON>(stored: &str) -> Result<T, crate::error::ApiError> {
    let value: Value = serde_json::from_str(stored).map_err(crate::error::ApiError::internal)?;
    T::parse_from_json(Some(value)).map_err(|e| crate::error::ApiError::internal(e.into_message()))
}
