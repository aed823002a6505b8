//! The Rust SDK's resource layer (`sdk-rust/src/resources.rs`), generated from the bundle
//! and progenitor's output: one struct per tag (`client.trading()`, `client.loans()`, …)
//! with one method per operationId that takes plain Rust arguments (`&str`, `u64`, enums
//! by value, request bodies by reference), checks them before sending, and answers with
//! `crate::Response<T>` or `crate::Error`.
//!
//! The generated source is read with `syn`: the signatures of `impl Client` give each
//! operation's arguments and response type, the `types` module says which argument types
//! are string newtypes (`pub struct X(::std::string::String)` with `FromStr`), integer
//! newtypes (`pub struct X(i64)` with `TryFrom<i64>`) and `Copy` enums. The bundle gives
//! each operation's tag, summary, method and path.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;
use syn::ext::IdentExt as _;
use syn::punctuated::Punctuated;
use syn::{FnArg, GenericArgument, ImplItem, Item, Pat, PathArguments, ReturnType, Type};

use crate::bundle::{METHODS, deref};
use crate::sdk_rust::RUST_HEADER;

/// The header parameter the SDK's runtime fills in itself (`place_order`,
/// `apply_for_loan`, `make_loan_payment`): the plain method leaves it out and a
/// `<operationId>_with_idempotency_key` method takes the caller's own.
const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// The name of the generated method's parameter for [`IDEMPOTENCY_KEY`].
const IDEMPOTENCY_PARAM: &str = "idempotency_key";

/// The SDK crate's name, as the doc examples spell it.
const CRATE: &str = "meridian";

/// Generates `sdk-rust/src/resources.rs` from the bundle and the progenitor source
/// (`sdk-rust/src/generated.rs`) generated from it.
pub fn generate(bundle: &Value, generated: &str) -> Result<String> {
    let groups = groups(bundle, generated)?;
    let source = render(&groups);
    let file: syn::File =
        syn::parse_file(&source).map_err(|e| anyhow!("the resource layer is not parsable Rust ({e}):\n{source}"))?;
    Ok(format!("{RUST_HEADER}{}", prettyplease::unparse(&file)))
}

/// The operations of the progenitor source `generated`, grouped by the bundle's tags (in
/// the bundle's tag order, operations in source order); the Python bindings
/// (`crate::sdk_python`) are generated from the same groups.
pub(crate) fn groups(bundle: &Value, generated: &str) -> Result<Vec<Group>> {
    let file = syn::parse_file(generated).context("the generated SDK layer is not parsable Rust")?;
    let types = Types::collect(&file)?;
    let catalogue = Catalogue::read(bundle)?;
    let mut groups: Vec<Group> = catalogue
        .tags
        .iter()
        .map(|(name, description)| Group::new(name, description))
        .collect();
    for method in client_methods(&file)? {
        let name = method.sig.ident.to_string();
        let info = catalogue
            .operations
            .get(&name)
            .ok_or_else(|| anyhow!("generated method `{name}` has no operation with that operationId in the bundle"))?;
        let operation = Operation::new(method, info, &types).with_context(|| format!("operation `{name}`"))?;
        let group = match groups.iter_mut().position(|g| g.tag == info.tag) {
            Some(index) => &mut groups[index],
            None => {
                groups.push(Group::new(&info.tag, ""));
                groups.last_mut().expect("just pushed")
            }
        };
        group.operations.push(operation);
    }
    groups.retain(|g| !g.operations.is_empty());
    check_names(&groups)?;
    Ok(groups)
}

/// What the generated `types` module defines, by type name.
#[derive(Debug, Default)]
struct Types {
    /// `pub struct X(::std::string::String)` with `impl FromStr for X`.
    strings: BTreeSet<String>,
    /// `pub struct X(i64)` with `impl TryFrom<i64> for X`: the integer type.
    integers: BTreeMap<String, String>,
    /// Enums that derive `Copy`.
    copy_enums: BTreeSet<String>,
}

impl Types {
    fn collect(file: &syn::File) -> Result<Self> {
        let items = file
            .items
            .iter()
            .find_map(|item| match item {
                Item::Mod(module) if module.ident == "types" => module.content.as_ref().map(|(_, items)| items),
                _ => None,
            })
            .ok_or_else(|| anyhow!("the generated SDK layer has no `types` module"))?;
        let mut newtypes = BTreeMap::new();
        let mut from_str = BTreeSet::new();
        let mut try_from = BTreeSet::new();
        let mut types = Self::default();
        for item in items {
            match item {
                Item::Struct(item) => {
                    if let syn::Fields::Unnamed(fields) = &item.fields
                        && fields.unnamed.len() == 1
                    {
                        newtypes.insert(item.ident.to_string(), type_text(&fields.unnamed[0].ty));
                    }
                }
                Item::Enum(item) if derives(&item.attrs, "Copy") => {
                    types.copy_enums.insert(item.ident.to_string());
                }
                Item::Impl(item) => {
                    let (Some((_, path, _)), Some(name)) = (&item.trait_, last_ident(&item.self_ty)) else {
                        continue;
                    };
                    let Some(last) = path.segments.last() else { continue };
                    if last.ident == "FromStr" {
                        from_str.insert(name);
                    } else if last.ident == "TryFrom"
                        && let PathArguments::AngleBracketed(args) = &last.arguments
                        && let Some(GenericArgument::Type(from)) = args.args.first()
                    {
                        try_from.insert((name, type_text(from)));
                    }
                }
                _ => {}
            }
        }
        for (name, inner) in newtypes {
            if inner == "::std::string::String" && from_str.contains(&name) {
                types.strings.insert(name);
            } else if INTEGERS.contains(&inner.as_str()) && try_from.contains(&(name.clone(), inner.clone())) {
                types.integers.insert(name, inner);
            }
        }
        Ok(types)
    }
}

/// The primitive integer types an integer newtype may wrap.
const INTEGERS: &[&str] = &["i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "isize", "usize"];

/// What the bundle says about the operations.
struct Catalogue {
    /// The tags in the bundle's order, with their descriptions.
    tags: Vec<(String, String)>,
    /// Every operation by operationId.
    operations: BTreeMap<String, OperationInfo>,
}

/// One operation of the bundle.
struct OperationInfo {
    tag: String,
    method: String,
    path: String,
    summary: String,
    /// Whether it takes an `Idempotency-Key` header.
    idempotency_key: bool,
}

impl Catalogue {
    fn read(bundle: &Value) -> Result<Self> {
        let tags = bundle
            .get("tags")
            .and_then(Value::as_array)
            .map(|tags| {
                tags.iter()
                    .filter_map(|tag| {
                        let name = tag.get("name")?.as_str()?;
                        let description = tag.get("description").and_then(Value::as_str).unwrap_or_default();
                        Some((name.to_owned(), description.trim().to_owned()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let paths = bundle
            .get("paths")
            .and_then(Value::as_object)
            .ok_or_else(|| anyhow!("the bundle has no paths"))?;
        let mut operations = BTreeMap::new();
        for (path, item) in paths {
            for method in METHODS {
                let Some(operation) = item.get(*method) else { continue };
                let id = operation
                    .get("operationId")
                    .and_then(Value::as_str)
                    .ok_or_else(|| anyhow!("{} {path} has no operationId", method.to_uppercase()))?;
                let tag = operation
                    .get("tags")
                    .and_then(Value::as_array)
                    .and_then(|tags| tags.first())
                    .and_then(Value::as_str)
                    .ok_or_else(|| anyhow!("operation `{id}` has no tag"))?;
                let parameters = item
                    .get("parameters")
                    .and_then(Value::as_array)
                    .into_iter()
                    .chain(operation.get("parameters").and_then(Value::as_array))
                    .flatten()
                    .map(|parameter| deref(bundle, parameter));
                let idempotency_key = parameters.into_iter().any(|parameter| {
                    parameter.get("in").and_then(Value::as_str) == Some("header")
                        && parameter
                            .get("name")
                            .and_then(Value::as_str)
                            .is_some_and(|name| name.eq_ignore_ascii_case(IDEMPOTENCY_KEY))
                });
                let info = OperationInfo {
                    tag: tag.to_owned(),
                    method: method.to_uppercase(),
                    path: path.clone(),
                    summary: operation
                        .get("summary")
                        .and_then(Value::as_str)
                        .unwrap_or(id)
                        .trim()
                        .to_owned(),
                    idempotency_key,
                };
                if operations.insert(id.to_owned(), info).is_some() {
                    bail!("operationId `{id}` is used twice");
                }
            }
        }
        Ok(Self { tags, operations })
    }
}

/// The public async methods of the generated `impl Client` blocks, in source order.
fn client_methods(file: &syn::File) -> Result<Vec<&syn::ImplItemFn>> {
    let methods: Vec<_> = file
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Impl(item) if item.trait_.is_none() && last_ident(&item.self_ty).as_deref() == Some("Client") => {
                Some(item)
            }
            _ => None,
        })
        .flat_map(|item| &item.items)
        .filter_map(|item| match item {
            ImplItem::Fn(method)
                if method.sig.asyncness.is_some() && matches!(method.vis, syn::Visibility::Public(_)) =>
            {
                Some(method)
            }
            _ => None,
        })
        .collect();
    if methods.is_empty() {
        bail!("the generated SDK layer has no operations on `impl Client`");
    }
    Ok(methods)
}

/// The operations of one tag: one struct, one accessor on `crate::Client`.
pub(crate) struct Group {
    pub(crate) tag: String,
    pub(crate) description: String,
    pub(crate) operations: Vec<Operation>,
}

impl Group {
    fn new(tag: &str, description: &str) -> Self {
        Self {
            tag: tag.to_owned(),
            description: description.to_owned(),
            operations: Vec::new(),
        }
    }

    /// `client-keys` → `ClientKeys`.
    pub(crate) fn type_name(&self) -> String {
        words(&self.tag)
            .map(|word| {
                let mut chars = word.chars();
                chars
                    .next()
                    .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                    .unwrap_or_default()
            })
            .collect()
    }

    /// `client-keys` → `client_keys`.
    pub(crate) fn accessor(&self) -> String {
        words(&self.tag).collect::<Vec<_>>().join("_")
    }
}

/// The lowercase words of a tag (split on anything but ASCII letters and digits).
fn words(tag: &str) -> impl Iterator<Item = String> + '_ {
    tag.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_ascii_lowercase)
}

/// One generated method, as the resource layer wraps it.
pub(crate) struct Operation {
    pub(crate) name: String,
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) summary: String,
    pub(crate) params: Vec<Param>,
    /// The `T` of `ResponseValue<T>`.
    pub(crate) output: String,
    /// The error body is `OAuthErrorBody` rather than `ApiErrorBody`.
    /// Also emit `<name>_with_idempotency_key`.
    pub(crate) idempotency_key: bool,
}

/// One argument of a generated method.
pub(crate) struct Param {
    /// The Rust name (`r#type` for a keyword).
    pub(crate) name: String,
    /// The name without `r#`, for messages.
    pub(crate) label: String,
    pub(crate) plain: Plain,
    pub(crate) optional: bool,
}

/// How an argument is taken from the caller and given to the generated method.
pub(crate) enum Plain {
    /// `&'a types::X`, X a string newtype: a `&str`, parsed.
    Str { newtype: String },
    /// `&'a types::X`, X an integer newtype: the integer, converted.
    Int { newtype: String, int: String },
    /// `NonZeroU64` (…): the unsigned integer, at least 1.
    NonZero { nonzero: String, int: String },
    /// `&'a types::E`, E a `Copy` enum: the enum by value.
    Enum { name: String },
    /// Anything else (integers, bools, enums already by value, bodies): as generated,
    /// without the named lifetime. The full type, `Option` included.
    Same { ty: String },
}

impl Operation {
    fn new(method: &syn::ImplItemFn, info: &OperationInfo, types: &Types) -> Result<Self> {
        let mut params = Vec::new();
        for input in &method.sig.inputs {
            let FnArg::Typed(input) = input else { continue };
            let Pat::Ident(pattern) = &*input.pat else {
                bail!("an argument is not a plain identifier");
            };
            let name = pattern.ident.to_string();
            let label = pattern.ident.unraw().to_string();
            let (inner, optional) = match generic_arg(&input.ty, "Option") {
                Some(inner) => (inner, true),
                None => (&*input.ty, false),
            };
            let plain = if name == "body" {
                Plain::Same {
                    ty: type_text(&without_lifetimes(&input.ty)),
                }
            } else {
                Plain::of(inner, types).unwrap_or_else(|| Plain::Same {
                    ty: type_text(&without_lifetimes(&input.ty)),
                })
            };
            params.push(Param {
                name,
                label,
                plain,
                optional,
            });
        }
        if info.idempotency_key {
            let key = params.iter().find(|p| p.name == IDEMPOTENCY_PARAM);
            if !key.is_some_and(|p| p.optional && matches!(p.plain, Plain::Str { .. })) {
                bail!("takes `{IDEMPOTENCY_KEY}` but has no optional string argument `{IDEMPOTENCY_PARAM}`");
            }
        }
        let ReturnType::Type(_, returned) = &method.sig.output else {
            bail!("returns nothing");
        };
        let [ok, err] = generic_args(returned, "Result")
            .as_deref()
            .and_then(|args| <[&Type; 2]>::try_from(args).ok())
            .ok_or_else(|| anyhow!("does not return a `Result<ResponseValue<T>, Error<E>>`"))?;
        let output = generic_arg(ok, "ResponseValue").ok_or_else(|| anyhow!("does not return a `ResponseValue`"))?;
        let error = generic_arg(err, "Error")
            .and_then(last_ident)
            .ok_or_else(|| anyhow!("does not fail with a generated `Error<E>`"))?;
        // `crate::Error` converts from both error bodies of the API (`?` in the method).
        if !matches!(error.as_str(), "ApiErrorBody" | "OAuthErrorBody") {
            bail!("fails with `Error<{error}>`, which the resource layer cannot turn into `crate::Error`");
        }
        Ok(Self {
            name: method.sig.ident.to_string(),
            method: info.method.clone(),
            path: info.path.clone(),
            summary: info.summary.clone(),
            params,
            output: type_text(output),
            idempotency_key: info.idempotency_key,
        })
    }

    /// The name of the variant that takes the caller's own `Idempotency-Key`.
    fn keyed_name(&self) -> String {
        format!("{}_with_{IDEMPOTENCY_PARAM}", self.name)
    }

    /// Whether any argument is checked before sending.
    fn checks_arguments(&self) -> bool {
        self.params.iter().any(|p| {
            p.name != IDEMPOTENCY_PARAM
                && matches!(p.plain, Plain::Str { .. } | Plain::Int { .. } | Plain::NonZero { .. })
        })
    }
}

impl Plain {
    /// The plain form of `ty` (an argument type, or what an `Option` argument holds).
    fn of(ty: &Type, types: &Types) -> Option<Self> {
        match ty {
            Type::Reference(reference) => {
                let name = generated_type(&reference.elem)?;
                if types.strings.contains(&name) {
                    Some(Self::Str { newtype: name })
                } else if let Some(int) = types.integers.get(&name) {
                    Some(Self::Int {
                        newtype: name,
                        int: int.clone(),
                    })
                } else if types.copy_enums.contains(&name) {
                    Some(Self::Enum { name })
                } else {
                    None
                }
            }
            Type::Path(_) => {
                let name = last_ident(ty)?;
                let bits = name.strip_prefix("NonZeroU")?;
                matches!(bits, "8" | "16" | "32" | "64" | "128" | "size").then(|| Self::NonZero {
                    nonzero: format!("::std::num::{name}"),
                    int: format!("u{bits}"),
                })
            }
            _ => None,
        }
    }
}

/// Fails when two methods of a struct, or two accessors, would share a name.
fn check_names(groups: &[Group]) -> Result<()> {
    let mut accessors = BTreeSet::new();
    let mut structs = BTreeSet::new();
    for group in groups {
        if !accessors.insert(group.accessor()) || !structs.insert(group.type_name()) {
            bail!("two tags give the same accessor or struct as `{}`", group.tag);
        }
        let mut names = BTreeSet::new();
        for operation in &group.operations {
            let keyed = operation.idempotency_key.then(|| operation.keyed_name());
            for name in std::iter::once(operation.name.clone()).chain(keyed) {
                if !names.insert(name.clone()) {
                    bail!("two methods named `{name}` on `{}`", group.type_name());
                }
            }
        }
    }
    Ok(())
}

/// The source of the resource layer (unformatted).
fn render(groups: &[Group]) -> String {
    let accessors: Vec<String> = groups.iter().map(|g| format!("`{}()`", g.accessor())).collect();
    let mut out = String::new();
    out.push_str("//! The resource layer: the API's operations grouped by tag, with plain Rust arguments.\n//!\n");
    doc_lines(
        &mut out,
        "//!",
        &format!(
            "Each accessor of [`crate::Client`] ({}) borrows the client and has one method per \
             operationId of its tag. Identifiers and other strings are `&str`, page numbers and \
             limits plain integers, enums by value and request bodies by reference; a value the \
             API would refuse is [`crate::Error::InvalidRequest`] before anything is sent. Every \
             method answers with a [`crate::Response`] (the value, the status, the headers and the \
             request id) or a [`crate::Error`], and sends through the client's credentials and \
             retry policy, like [`crate::Client::api`]. These are the API's operations as they \
             are: `auth().login(…)` answers with tokens without keeping them, while \
             [`crate::Client::login`] signs the client in.",
            accessors.join(", ")
        ),
    );
    out.push_str(
        "#![allow(clippy::too_many_arguments, reason = \"one argument per parameter of the operation, as in the API\")]\n\
         use crate::generated::types;\n",
    );
    for group in groups {
        render_struct(&mut out, group);
    }
    out.push_str("impl crate::Client {\n");
    for group in groups {
        render_accessor(&mut out, group);
    }
    out.push_str("}\n");
    for group in groups {
        let _ = writeln!(out, "impl {}<'_> {{", group.type_name());
        for operation in &group.operations {
            render_method(&mut out, operation, false);
            if operation.idempotency_key {
                render_method(&mut out, operation, true);
            }
        }
        out.push_str("}\n");
    }
    render_helpers(&mut out, groups);
    out
}

fn render_struct(out: &mut String, group: &Group) {
    let _ = writeln!(
        out,
        "/// The `{}` operations, from [`crate::Client::{}`].",
        group.tag,
        group.accessor()
    );
    if !group.description.is_empty() {
        out.push_str("///\n");
        doc_lines(out, "///", &group.description);
    }
    let _ = writeln!(
        out,
        "#[derive(Debug, Clone, Copy)]\npub struct {}<'a> {{\n    client: &'a crate::Client,\n}}",
        group.type_name()
    );
}

fn render_accessor(out: &mut String, group: &Group) {
    let accessor = group.accessor();
    let _ = writeln!(
        out,
        "/// The `{}` operations ([`{}`]), with plain arguments.",
        group.tag,
        group.type_name()
    );
    if !group.description.is_empty() {
        out.push_str("///\n");
        doc_lines(out, "///", &group.description);
    }
    out.push_str("///\n/// ```no_run\n");
    let _ = writeln!(
        out,
        "/// # async fn demo(client: {CRATE}::Client) -> Result<(), {CRATE}::Error> {{"
    );
    match example(group) {
        Some(operation) => {
            let nones = vec!["None"; operation.params.len()].join(", ");
            let _ = writeln!(
                out,
                "/// let response = client.{accessor}().{}({nones}).await?;",
                operation.name
            );
            out.push_str("/// println!(\"{} {:?}\", response.status(), response.request_id());\n");
        }
        None => {
            let _ = writeln!(out, "/// let _{accessor} = client.{accessor}();");
        }
    }
    out.push_str("/// # Ok(()) }\n/// ```\n");
    let _ = writeln!(
        out,
        "pub fn {accessor}(&self) -> {}<'_> {{\n    {} {{ client: self }}\n}}",
        group.type_name(),
        group.type_name()
    );
}

/// The operation an accessor's example calls: a `GET` whose arguments may all be `None`,
/// with the fewest arguments (the first such in source order).
fn example(group: &Group) -> Option<&Operation> {
    group
        .operations
        .iter()
        .filter(|o| o.method == "GET" && o.params.iter().all(|p| p.optional))
        .min_by_key(|o| o.params.len())
}

fn render_method(out: &mut String, operation: &Operation, keyed: bool) {
    let name = if keyed {
        operation.keyed_name()
    } else {
        operation.name.clone()
    };
    // Docs.
    doc_lines(out, "///", &sentence(&operation.summary));
    out.push_str("///\n");
    let _ = writeln!(out, "/// `{} {}`", operation.method, operation.path);
    let mut notes = Vec::new();
    if operation.idempotency_key {
        notes.push(if keyed {
            format!(
                "With your own `{IDEMPOTENCY_KEY}` (1–128 characters of `[A-Za-z0-9._:-]`): the same key \
                 with the same body answers with the first result instead of acting twice, across \
                 clients and processes too. [`Self::{}`] lets the SDK choose a key per call.",
                operation.name
            )
        } else {
            format!(
                "The SDK gives the request an `{IDEMPOTENCY_KEY}` of its own, so that its retries never \
                 act twice; [`Self::{}`] sends yours.",
                operation.keyed_name()
            )
        });
    }
    if operation.checks_arguments() || keyed {
        notes
            .push("Arguments the API would refuse are [`crate::Error::InvalidRequest`], with nothing sent.".to_owned());
    }
    notes.push(format!(
        "Full description: [`GeneratedClient::{0}`](crate::GeneratedClient::{0}).",
        operation.name
    ));
    for note in notes {
        out.push_str("///\n");
        doc_lines(out, "///", &note);
    }
    // Signature.
    let mut signature = vec!["&self".to_owned()];
    let mut checks = Vec::new();
    let mut args = Vec::new();
    for param in &operation.params {
        let (name, label) = (&param.name, &param.label);
        if param.name == IDEMPOTENCY_PARAM && operation.idempotency_key {
            if keyed {
                let Plain::Str { newtype } = &param.plain else {
                    unreachable!("checked in Operation::new")
                };
                signature.push(format!("{name}: &str"));
                checks.push(format!("let {name}: types::{newtype} = parse(\"{label}\", {name})?;"));
                args.push(format!("Some(&{name})"));
            } else {
                args.push("None".to_owned());
            }
            continue;
        }
        let optional = |ty: String| if param.optional { format!("Option<{ty}>") } else { ty };
        match &param.plain {
            Plain::Str { newtype } => {
                signature.push(format!("{name}: {}", optional("&str".to_owned())));
                checks.push(check(param, &format!("types::{newtype}"), "parse"));
            }
            Plain::Int { newtype, int } => {
                signature.push(format!("{name}: {}", optional(int.clone())));
                checks.push(check(param, &format!("types::{newtype}"), "convert"));
            }
            Plain::NonZero { nonzero, int } => {
                signature.push(format!("{name}: {}", optional(int.clone())));
                checks.push(check(param, nonzero, "at_least_one"));
            }
            Plain::Enum { name: enumeration } => {
                signature.push(format!("{name}: {}", optional(format!("types::{enumeration}"))));
            }
            Plain::Same { ty } => signature.push(format!("{name}: {ty}")),
        }
        args.push(match (&param.plain, param.optional) {
            (Plain::NonZero { .. } | Plain::Same { .. }, _) => name.clone(),
            (_, true) => format!("{name}.as_ref()"),
            (_, false) => format!("&{name}"),
        });
    }
    let _ = writeln!(
        out,
        "pub async fn {name}({}) -> Result<crate::Response<{}>, crate::Error> {{",
        signature.join(", "),
        operation.output
    );
    for line in checks {
        let _ = writeln!(out, "    {line}");
    }
    let _ = writeln!(
        out,
        "    let response = self.client.api().{}({}).await?;\n    Ok(response.into())\n}}",
        operation.name,
        args.join(", ")
    );
}

/// The statement that turns a plain argument into the generated type with `helper`.
fn check(param: &Param, ty: &str, helper: &str) -> String {
    let (name, label) = (&param.name, &param.label);
    if param.optional {
        format!("let {name}: Option<{ty}> = {name}.map(|value| {helper}(\"{label}\", value)).transpose()?;")
    } else {
        format!("let {name}: {ty} = {helper}(\"{label}\", {name})?;")
    }
}

fn render_helpers(out: &mut String, groups: &[Group]) {
    let operations = || groups.iter().flat_map(|g| &g.operations);
    let used = |helper: fn(&Plain) -> bool| operations().flat_map(|o| &o.params).any(|p| helper(&p.plain));
    if used(|p| matches!(p, Plain::Str { .. })) {
        out.push_str(
            "/// `value` as the generated string type `T`; a value the API refuses is\n\
             /// [`crate::Error::InvalidRequest`] naming the argument.\n\
             fn parse<T>(name: &str, value: &str) -> Result<T, crate::Error>\n\
             where\n    T: ::std::str::FromStr,\n    T::Err: ::std::fmt::Display,\n{\n\
             \x20   value\n        .parse()\n        .map_err(|e| crate::Error::InvalidRequest(format!(\"{name}: {e}\")))\n}\n",
        );
    }
    if used(|p| matches!(p, Plain::Int { .. })) {
        out.push_str(
            "/// `value` as the generated integer type `T`; a value the API refuses is\n\
             /// [`crate::Error::InvalidRequest`] naming the argument.\n\
             fn convert<T, U>(name: &str, value: U) -> Result<T, crate::Error>\n\
             where\n    T: TryFrom<U>,\n    <T as TryFrom<U>>::Error: ::std::fmt::Display,\n{\n\
             \x20   T::try_from(value).map_err(|e| crate::Error::InvalidRequest(format!(\"{name}: {e}\")))\n}\n",
        );
    }
    if used(|p| matches!(p, Plain::NonZero { .. })) {
        out.push_str(
            "/// `value` as a non-zero integer; 0 is [`crate::Error::InvalidRequest`].\n\
             fn at_least_one<T: TryFrom<U>, U>(name: &str, value: U) -> Result<T, crate::Error> {\n\
             \x20   T::try_from(value).map_err(|_| crate::Error::InvalidRequest(format!(\"{name} must be at least 1\")))\n}\n",
        );
    }
}

/// Appends `text`, wrapped at 92 columns, as lines starting with `prefix`.
pub(crate) fn doc_lines(out: &mut String, prefix: &str, text: &str) {
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > 92 {
            let _ = writeln!(out, "{prefix} {line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        let _ = writeln!(out, "{prefix} {line}");
    }
}

/// `text` ending with a full stop (a summary such as `Get a loan` → `Get a loan.`).
pub(crate) fn sentence(text: &str) -> String {
    let text = text.trim();
    if text.ends_with(['.', '!', '?']) {
        text.to_owned()
    } else {
        format!("{text}.")
    }
}

/// Whether `attrs` has `#[derive(…, name, …)]`.
fn derives(attrs: &[syn::Attribute], name: &str) -> bool {
    attrs.iter().filter(|attr| attr.path().is_ident("derive")).any(|attr| {
        attr.parse_args_with(Punctuated::<syn::Path, syn::Token![,]>::parse_terminated)
            .is_ok_and(|paths| {
                paths
                    .iter()
                    .any(|path| path.segments.last().is_some_and(|s| s.ident == name))
            })
    })
}

/// The last segment of a path type (`::std::num::NonZeroU64` → `NonZeroU64`).
pub(crate) fn last_ident(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(path) if path.qself.is_none() => path.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// `X` of `types::X`.
fn generated_type(ty: &Type) -> Option<String> {
    let Type::Path(path) = ty else { return None };
    let segments: Vec<_> = path.path.segments.iter().collect();
    match segments.as_slice() {
        [module, name] if module.ident == "types" && name.arguments.is_none() => Some(name.ident.to_string()),
        _ => None,
    }
}

/// The type arguments of `Wrapper<A, B, …>` when `ty`'s last segment is `wrapper`.
pub(crate) fn generic_args<'t>(ty: &'t Type, wrapper: &str) -> Option<Vec<&'t Type>> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != wrapper {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    Some(
        args.args
            .iter()
            .filter_map(|arg| match arg {
                GenericArgument::Type(ty) => Some(ty),
                _ => None,
            })
            .collect(),
    )
}

/// `A` of `Wrapper<A>`.
pub(crate) fn generic_arg<'t>(ty: &'t Type, wrapper: &str) -> Option<&'t Type> {
    match generic_args(ty, wrapper)?.as_slice() {
        [only] => Some(only),
        _ => None,
    }
}

/// `ty` with every reference's named lifetime elided (`&'a T` → `&T`).
pub(crate) fn without_lifetimes(ty: &Type) -> Type {
    let mut ty = ty.clone();
    strip(&mut ty);
    return ty;

    fn strip(ty: &mut Type) {
        match ty {
            Type::Reference(reference) => {
                reference.lifetime = None;
                strip(&mut reference.elem);
            }
            Type::Path(path) => {
                for segment in &mut path.path.segments {
                    if let PathArguments::AngleBracketed(args) = &mut segment.arguments {
                        for arg in &mut args.args {
                            if let GenericArgument::Type(ty) = arg {
                                strip(ty);
                            }
                        }
                    }
                }
            }
            Type::Slice(slice) => strip(&mut slice.elem),
            Type::Array(array) => strip(&mut array.elem),
            Type::Tuple(tuple) => tuple.elems.iter_mut().for_each(strip),
            Type::Paren(paren) => strip(&mut paren.elem),
            _ => {}
        }
    }
}

/// A type as Rust source on one line (printed by prettyplease through a type alias).
pub(crate) fn type_text(ty: &Type) -> String {
    let alias = syn::ItemType {
        attrs: Vec::new(),
        vis: syn::Visibility::Inherited,
        type_token: Default::default(),
        ident: syn::Ident::new("T", proc_macro2::Span::call_site()),
        generics: Default::default(),
        eq_token: Default::default(),
        ty: Box::new(ty.clone()),
        semi_token: Default::default(),
    };
    let file = syn::File {
        shebang: None,
        attrs: Vec::new(),
        items: vec![Item::Type(alias)],
    };
    let text = prettyplease::unparse(&file);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    text.strip_prefix("type T = ")
        .and_then(|t| t.strip_suffix(';'))
        .unwrap_or(&text)
        .replace("< ", "<")
        .replace(" >", ">")
        .replace(",>", ">")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A small progenitor-shaped source: a string id, a page, an integer newtype, a
    /// `Copy` enum by value, a body and an `Idempotency-Key`, and an OAuth operation.
    const SOURCE: &str = r#"
        pub use progenitor_client::{Error, ResponseValue};
        pub mod types {
            #[derive(Clone, Debug)]
            pub struct GetThingId(::std::string::String);
            impl ::std::str::FromStr for GetThingId {
                type Err = self::error::ConversionError;
                fn from_str(value: &str) -> Result<Self, Self::Err> { Ok(Self(value.to_string())) }
            }
            #[derive(Clone, Debug)]
            pub struct MakeThingIdempotencyKey(::std::string::String);
            impl ::std::str::FromStr for MakeThingIdempotencyKey {
                type Err = self::error::ConversionError;
                fn from_str(value: &str) -> Result<Self, Self::Err> { Ok(Self(value.to_string())) }
            }
            #[derive(Clone, Debug)]
            pub struct ListThingsDepth(i64);
            impl ::std::convert::TryFrom<i64> for ListThingsDepth {
                type Error = self::error::ConversionError;
                fn try_from(value: i64) -> Result<Self, Self::Error> { Ok(Self(value)) }
            }
            #[derive(Clone, Copy, Debug)]
            pub enum Colour { Red }
            pub struct Thing { pub id: String }
            pub struct ThingRequest {}
            pub struct ApiErrorBody {}
            pub struct OAuthErrorBody {}
        }
        pub struct Client {}
        impl Client {
            pub fn new() -> Self { Self {} }
        }
        impl Client {
            pub async fn get_thing<'a>(&'a self, id: &'a types::GetThingId)
                -> Result<ResponseValue<types::Thing>, Error<types::ApiErrorBody>> { todo!() }
            pub async fn list_things<'a>(
                &'a self,
                colour: Option<types::Colour>,
                depth: Option<&'a types::ListThingsDepth>,
                page: Option<::std::num::NonZeroU64>,
                search: Option<&'a types::GetThingId>,
                verbose: Option<bool>,
            ) -> Result<ResponseValue<::std::vec::Vec<types::Thing>>, Error<types::ApiErrorBody>> { todo!() }
            pub async fn make_thing<'a>(
                &'a self,
                idempotency_key: Option<&'a types::MakeThingIdempotencyKey>,
                body: &'a types::ThingRequest,
            ) -> Result<ResponseValue<()>, Error<types::ApiErrorBody>> { todo!() }
            pub async fn token<'a>(&'a self, body: &'a types::ThingRequest)
                -> Result<ResponseValue<types::Thing>, Error<types::OAuthErrorBody>> { todo!() }
        }
    "#;

    fn bundle() -> Value {
        json!({
            "tags": [{"name": "client-things", "description": "Things."}, {"name": "auth"}],
            "components": {"parameters": {"Key": {"name": "Idempotency-Key", "in": "header"}}},
            "paths": {
                "/things/{id}": {"get": {"operationId": "get_thing", "tags": ["client-things"], "summary": "Get a thing"}},
                "/things": {
                    "get": {"operationId": "list_things", "tags": ["client-things"], "summary": "List things"},
                    "post": {"operationId": "make_thing", "tags": ["client-things"], "summary": "Make a thing",
                             "parameters": [{"$ref": "#/components/parameters/Key"}]}
                },
                "/token": {"post": {"operationId": "token", "tags": ["auth"], "summary": "Get a token"}}
            }
        })
    }

    /// `text` on one line, without prettyplease's line breaks and trailing commas.
    fn squeezed(text: &str) -> String {
        text.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .replace("( ", "(")
            .replace(", )", ")")
            .replace(", }", " }")
    }

    #[test]
    fn plain_arguments_one_struct_per_tag_and_the_idempotency_variant() {
        let code = generate(&bundle(), SOURCE).expect("generates");
        assert!(code.starts_with(RUST_HEADER));
        let flat = squeezed(&code);
        for expected in [
            "pub struct ClientThings<'a> { client: &'a crate::Client }",
            "pub fn client_things(&self) -> ClientThings<'_>",
            "pub fn auth(&self) -> Auth<'_>",
            "pub async fn get_thing(&self, id: &str) -> Result<crate::Response<types::Thing>, crate::Error>",
            "let id: types::GetThingId = parse(\"id\", id)?;",
            "self.client.api().get_thing(&id).await?;",
            "colour: Option<types::Colour>, depth: Option<i64>, page: Option<u64>, search: Option<&str>, verbose: Option<bool>)",
            "Result<crate::Response<::std::vec::Vec<types::Thing>>, crate::Error>",
            "list_things(colour, depth.as_ref(), page, search.as_ref(), verbose)",
            "let page: Option<::std::num::NonZeroU64> = page",
            "at_least_one(\"page\", value)",
            "pub async fn make_thing(&self, body: &types::ThingRequest) -> Result<crate::Response<()>, crate::Error>",
            "make_thing(None, body)",
            "pub async fn make_thing_with_idempotency_key(&self, idempotency_key: &str, body: &types::ThingRequest)",
            "make_thing(Some(&idempotency_key), body)",
            "token(body).await?",
            "/// `GET /things/{id}`",
            "/// Get a thing.",
        ] {
            assert!(flat.contains(expected), "missing `{expected}` in:\n{code}");
        }
        assert!(
            flat.find("pub struct ClientThings").unwrap() < flat.find("pub struct Auth").unwrap(),
            "structs follow the bundle's tag order"
        );
        syn::parse_file(&code).expect("parsable");
    }

    #[test]
    fn an_operation_missing_from_the_bundle_is_an_error() {
        let mut bundle = bundle();
        bundle["paths"].as_object_mut().unwrap().remove("/token");
        let error = generate(&bundle, SOURCE).unwrap_err();
        assert!(error.to_string().contains("`token`"), "{error:#}");
    }

    #[test]
    fn type_text_is_one_line_without_lifetimes() {
        let ty: Type = syn::parse_str("Option<&'a types::Thing>").unwrap();
        assert_eq!(type_text(&without_lifetimes(&ty)), "Option<&types::Thing>");
    }
}
