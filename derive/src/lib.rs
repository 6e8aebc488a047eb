//! `#[derive(TfObject)]`: a Rust struct declared once gives a Terraform
//! object model, so an attribute is written in one place. Each field yields
//! a schema attribute (its name, its type from the field's Rust type, its
//! description from the doc comment, its mode, sensitivity, validators and
//! deprecation from `#[tf(...)]`), its conversion to and from cty values, and
//! an optional normalisation step for values that arrive from elsewhere
//! (an API answer, say). `#[tf(flatten)]` embeds another model's attributes
//! in this one, so a group of attributes shared by several models is written
//! once, with its checks: `#[tf(check = FN)]` on a struct names a check of
//! a whole configuration (`fn(&Value) -> Diagnostics`, for rules that
//! involve more than one attribute or the environment), which every model
//! embedding it runs too.
//!
//! ```ignore
//! /// What every widget has.
//! #[derive(TfObject)]
//! #[tf(computed)]
//! pub struct WidgetAttributes {
//!     /// When the widget was made.
//!     #[tf(normalize = checked_time)]
//!     pub created_on: Option<String>,
//! }
//!
//! #[derive(TfObject)]
//! pub struct Widget {
//!     /// The widget's identifier.
//!     #[tf(required, validate = some_rule())]
//!     pub widget_id: String,
//!     #[tf(flatten)]
//!     pub attributes: WidgetAttributes,
//! }
//! ```
//!
//! The generated code names the model layer as `::tfcf::plugin`; the crate
//! that uses the derive is `tfcf` itself (its `lib.rs` declares
//! `extern crate self as tfcf`).

use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{parse_macro_input, Data, DeriveInput, Expr, Fields, Ident, LitStr, Path, Type};

/// Derives `TfObject` and `TfValue` for a struct with named fields; see the
/// crate documentation for the `#[tf(...)]` keys.
#[proc_macro_derive(TfObject, attributes(tf))]
pub fn derive_tf_object(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(tokens) => tokens.into(),
        Err(error) => error.to_compile_error().into(),
    }
}

/// An attribute's mode, as the schema builder names it.
#[derive(Clone, Copy)]
enum Mode {
    Required,
    Optional,
    Computed,
    OptionalComputed,
}

impl Mode {
    fn builder(self) -> Ident {
        let name = match self {
            Mode::Required => "required",
            Mode::Optional => "optional",
            Mode::Computed => "computed",
            Mode::OptionalComputed => "optional_computed",
        };
        Ident::new(name, proc_macro2::Span::call_site())
    }
}

/// The keys of one `#[tf(...)]` list, on the struct or on a field.
#[derive(Default)]
struct Keys {
    required: bool,
    optional: bool,
    computed: bool,
    sensitive: bool,
    flatten: bool,
    validators: Vec<Expr>,
    deprecated: Option<LitStr>,
    normalize: Option<Path>,
    check: Option<Path>,
}

impl Keys {
    fn read(attrs: &[syn::Attribute]) -> syn::Result<Self> {
        let mut keys = Keys::default();
        for attr in attrs.iter().filter(|a| a.path().is_ident("tf")) {
            attr.parse_nested_meta(|meta| {
                let key = &meta.path;
                if key.is_ident("required") {
                    keys.required = true;
                } else if key.is_ident("optional") {
                    keys.optional = true;
                } else if key.is_ident("computed") {
                    keys.computed = true;
                } else if key.is_ident("sensitive") {
                    keys.sensitive = true;
                } else if key.is_ident("flatten") {
                    keys.flatten = true;
                } else if key.is_ident("validate") {
                    keys.validators.push(meta.value()?.parse()?);
                } else if key.is_ident("deprecated") {
                    keys.deprecated = Some(meta.value()?.parse()?);
                } else if key.is_ident("normalize") {
                    keys.normalize = Some(meta.value()?.parse()?);
                } else if key.is_ident("check") {
                    keys.check = Some(meta.value()?.parse()?);
                } else {
                    return Err(meta.error(
                        "unknown tf key: expected required, optional, computed, sensitive, flatten, validate = EXPR, deprecated = \"TEXT\", normalize = PATH or (on the struct) check = PATH",
                    ));
                }
                Ok(())
            })?;
        }
        Ok(keys)
    }

    /// The mode these keys set, if any; an error for a combination that means nothing.
    fn mode(&self, span: proc_macro2::Span) -> syn::Result<Option<Mode>> {
        match (self.required, self.optional, self.computed) {
            (false, false, false) => Ok(None),
            (true, false, false) => Ok(Some(Mode::Required)),
            (false, true, false) => Ok(Some(Mode::Optional)),
            (false, false, true) => Ok(Some(Mode::Computed)),
            (false, true, true) => Ok(Some(Mode::OptionalComputed)),
            _ => Err(syn::Error::new(
                span,
                "a required attribute can be neither optional nor computed",
            )),
        }
    }
}

/// One field of the struct, read.
struct Field<'a> {
    ident: &'a Ident,
    ty: &'a Type,
    docs: Vec<LitStr>,
    keys: Keys,
    mode: Option<Mode>,
}

fn doc_lines(attrs: &[syn::Attribute]) -> Vec<LitStr> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(text),
                    ..
                }) => Some(text.clone()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

fn expand(input: &DeriveInput) -> syn::Result<Tokens> {
    let name = &input.ident;
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new(
            input.span(),
            "TfObject is derived for structs only",
        ));
    };
    let Fields::Named(named) = &data.fields else {
        return Err(syn::Error::new(
            input.span(),
            "TfObject needs a struct with named fields",
        ));
    };
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new(
            input.generics.span(),
            "TfObject is not derived for generic structs",
        ));
    }
    let container = Keys::read(&input.attrs)?;
    let default_mode = container.mode(input.span())?;
    let mut fields = Vec::new();
    for field in &named.named {
        let Some(ident) = field.ident.as_ref() else {
            continue;
        };
        let keys = Keys::read(&field.attrs)?;
        let mode = keys.mode(field.span())?.or(default_mode);
        if !keys.flatten && mode.is_none() {
            return Err(syn::Error::new(
                field.span(),
                "give the attribute a mode: #[tf(required)], #[tf(optional)], #[tf(computed)] or #[tf(optional, computed)], here or on the struct",
            ));
        }
        fields.push(Field {
            ident,
            ty: &field.ty,
            docs: doc_lines(&field.attrs),
            keys,
            mode,
        });
    }

    let m = quote!(::tfcf::plugin);
    let attributes = fields.iter().map(|f| attribute(f, &m));
    let to_attributes = fields.iter().map(|f| {
        let ident = f.ident;
        let key = ident.to_string();
        if f.keys.flatten {
            quote! { out.extend(#m::TfObject::to_attributes(&self.#ident)); }
        } else {
            quote! { out.insert(#key.to_string(), #m::TfValue::to_value(&self.#ident)); }
        }
    });
    // Locals named after the fields, prefixed so that no field name can
    // shadow the function's parameters.
    let locals: Vec<Ident> = fields
        .iter()
        .map(|f| format_ident!("read_{}", f.ident))
        .collect();
    let reads = fields.iter().zip(&locals).map(|(f, local)| {
        let ty = f.ty;
        let key = f.ident.to_string();
        if f.keys.flatten {
            quote! {
                let #local = match <#ty as #m::TfObject>::from_attributes(value, path) {
                    Ok(group) => Some(group),
                    Err(more) => {
                        diags.extend(more);
                        None
                    }
                };
            }
        } else {
            quote! { let #local = #m::field::<#ty>(value, #key, path, &mut diags); }
        }
    });
    let idents: Vec<&Ident> = fields.iter().map(|f| f.ident).collect();
    let normalize_steps: Vec<Tokens> = fields.iter().filter_map(|f| normalize(f, &m)).collect();
    let checks: Vec<Tokens> = container
        .check
        .iter()
        .map(|check| quote! { diags.extend(#check(config)); })
        .chain(fields.iter().filter(|f| f.keys.flatten).map(|f| {
            let ty = f.ty;
            quote! { diags.extend(<#ty as #m::TfObject>::check(config)); }
        }))
        .collect();
    let check = if checks.is_empty() {
        quote!()
    } else {
        quote! {
            fn check(config: &#m::Value) -> #m::Diagnostics {
                let mut diags = #m::Diagnostics::new();
                #(#checks)*
                diags
            }
        }
    };
    let normalized = if normalize_steps.is_empty() {
        quote!()
    } else {
        quote! {
            fn normalized(mut self, at: &#m::AttributePath) -> Result<Self, #m::Diagnostics> {
                #(#normalize_steps)*
                Ok(self)
            }
        }
    };

    Ok(quote! {
        impl #m::TfObject for #name {
            fn attributes() -> Vec<#m::Attribute> {
                let mut out = Vec::new();
                #(#attributes)*
                out
            }

            fn to_attributes(&self) -> ::std::collections::BTreeMap<String, #m::Value> {
                let mut out = ::std::collections::BTreeMap::new();
                #(#to_attributes)*
                out
            }

            fn from_attributes(
                value: &#m::Value,
                path: &#m::AttributePath,
            ) -> Result<Self, #m::Diagnostics> {
                #m::expect_object(value, path)?;
                let mut diags = #m::Diagnostics::new();
                #(#reads)*
                match (#(#locals,)*) {
                    (#(Some(#locals),)*) if !diags.has_errors() => Ok(Self { #(#idents: #locals),* }),
                    _ => Err(diags),
                }
            }

            #normalized

            #check
        }

        impl #m::TfValue for #name {
            fn tf_type() -> #m::Type {
                #m::Type::object(
                    <Self as #m::TfObject>::attributes()
                        .iter()
                        .map(|a| (a.name.clone(), a.value_type())),
                )
            }

            fn nested() -> Option<(#m::Nesting, Vec<#m::Attribute>)> {
                Some((#m::Nesting::Single, <Self as #m::TfObject>::attributes()))
            }

            fn to_value(&self) -> #m::Value {
                #m::Value::Object(<Self as #m::TfObject>::to_attributes(self))
            }

            fn from_value(
                value: &#m::Value,
                path: &#m::AttributePath,
            ) -> Result<Self, #m::Diagnostics> {
                <Self as #m::TfObject>::from_attributes(value, path)
            }
        }
    })
}

/// The statement that adds a field's attribute (or a flattened group's) to `out`.
fn attribute(field: &Field<'_>, m: &Tokens) -> Tokens {
    let ty = field.ty;
    if field.keys.flatten {
        return quote! { out.extend(<#ty as #m::TfObject>::attributes()); };
    }
    let key = field.ident.to_string();
    let docs = &field.docs;
    let mode = field.mode.map(Mode::builder);
    let sensitive = field.keys.sensitive.then(|| quote!(.sensitive()));
    let validators = field.keys.validators.iter().map(|v| quote!(.validate(#v)));
    let deprecated = field
        .keys
        .deprecated
        .as_ref()
        .map(|text| quote!(.deprecated(#text)));
    quote_spanned! {field.ident.span()=>
        out.push(
            #m::Attribute::new(#key, #m::kind_of::<#ty>())
                .describe(#m::doc_text(&[#(#docs),*]))
                .#mode()
                #sensitive
                #(#validators)*
                #deprecated
        );
    }
}

/// The statement that normalises a field in place, if it asks for it or is a
/// flattened group (whose own fields may).
fn normalize(field: &Field<'_>, m: &Tokens) -> Option<Tokens> {
    let ident = field.ident;
    let ty = field.ty;
    if field.keys.flatten {
        return Some(quote! {
            self.#ident = <#ty as #m::TfObject>::normalized(self.#ident, at)?;
        });
    }
    let step = field.keys.normalize.as_ref()?;
    let key = ident.to_string();
    Some(quote! {
        self.#ident = #step(self.#ident, &at.then_attribute(#key))
            .map_err(#m::Diagnostics::from)?;
    })
}
