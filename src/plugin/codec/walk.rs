//! The typed decode walk shared by the msgpack and JSON decoders. It reads a
//! value of a given cty type from a [`Reader`] (one per wire format) and
//! holds what the formats have in common: nulls, the shape each type needs,
//! elements and entries with their attribute paths, absent attributes filled
//! in as null, `dynamic` values, the item budget and the depth limit. A
//! reader only says what the next item is and how its scalars read.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::plugin::codec::error::CodecError;
use crate::plugin::codec::limits::ItemBudget;
use crate::plugin::codec::trail::Trail;
use crate::plugin::cty::{Number, Type, Value};
use crate::plugin::path::PathStep;

/// What an item's header says it is, as far as the walk is concerned.
pub(crate) enum Shape {
    /// A null of any type.
    Null,
    /// An unknown value (msgpack extension values).
    Unknown,
    /// An array of this many elements, which follow.
    Array(usize),
    /// A map of this many entries, each a key then a value, which follow.
    Map(usize),
    /// A string, number, bool or anything else read as one item.
    Scalar,
}

/// A wire format as the walk reads it: items one after the other in document
/// order, a container's header followed by its elements, or by its entries'
/// keys and values. Errors are messages; the walk adds the attribute path.
pub(crate) trait Reader: Sized {
    /// An item's header: what comes next, read before its body.
    type Head: Copy;

    /// Whether a key given twice in a map or object takes the last value (as
    /// go-cty reads JSON) rather than being an error.
    const LAST_KEY_WINS: bool;

    /// Reads the header of the next item.
    fn head(&mut self) -> Result<Self::Head, String>;

    /// What the item is.
    fn shape(head: Self::Head) -> Shape;

    /// The item with an article ("a string", "nil"), for "expected …, found …".
    fn phrase(head: Self::Head) -> Cow<'static, str>;

    /// Reads the key of the next map or object entry.
    fn key(&mut self) -> Result<String, String>;

    /// The item as a string; `None` when it cannot stand for one.
    fn string(&mut self, head: Self::Head) -> Result<Option<String>, String>;

    /// The item as a number; `None` when it cannot stand for one.
    fn number(&mut self, head: Self::Head) -> Result<Option<Number>, String>;

    /// The item as a bool; `None` when it cannot stand for one.
    fn bool(head: Self::Head) -> Option<bool>;

    /// Checks, before any is read, that `count` items of at least `min_bytes`
    /// each can follow, so a declared count never drives allocation.
    fn check_count(&self, _count: usize, _min_bytes: usize) -> Result<(), String> {
        Ok(())
    }

    /// Reads the wrapper of a `dynamic` value whose header is `head` up to the
    /// value it wraps, and returns that value's type.
    fn dynamic(&mut self, head: Self::Head) -> Result<Type, String>;

    /// Decodes the unknown value whose header is `head` (`Shape::Unknown`).
    fn unknown(
        walk: &mut Walk<Self>,
        head: Self::Head,
        ty: &Type,
        depth: usize,
    ) -> Result<Value, CodecError>;
}

/// A decode in progress: the reader, where in the value it is, and the items
/// spent so far.
pub(crate) struct Walk<R> {
    /// The format being read.
    pub(crate) reader: R,
    /// The path to the item being read.
    pub(crate) trail: Trail,
    budget: ItemBudget,
}

impl<R: Reader> Walk<R> {
    /// A walk over `reader` with a budget of its own, starting at `trail`.
    pub(crate) fn new(reader: R, trail: Trail) -> Self {
        Self {
            reader,
            trail,
            budget: ItemBudget::default(),
        }
    }

    /// Runs a reader step, turning its error into one at the current path.
    pub(crate) fn read<T>(
        &mut self,
        step: impl FnOnce(&mut R) -> Result<T, String>,
    ) -> Result<T, CodecError> {
        step(&mut self.reader).map_err(|message| self.trail.error(message))
    }

    /// The "expected …, found …" error for an item that does not fit `ty`.
    pub(crate) fn mismatch(&self, ty: &Type, head: R::Head) -> CodecError {
        self.trail.error(format!(
            "expected {}, found {}",
            ty.expected_phrase(),
            R::phrase(head)
        ))
    }

    fn spend(&mut self, items: usize) -> Result<(), CodecError> {
        self.budget
            .spend(items)
            .map_err(|message| self.trail.error(message))
    }

    /// Reads one value of type `ty` at nesting `depth`.
    pub(crate) fn value(&mut self, ty: &Type, depth: usize) -> Result<Value, CodecError> {
        self.spend(1)?;
        let head = self.read(R::head)?;
        let shape = R::shape(head);
        match shape {
            Shape::Null => return Ok(Value::Null),
            Shape::Unknown => return R::unknown(self, head, ty, depth),
            Shape::Array(_) | Shape::Map(_) | Shape::Scalar => {}
        }
        match (ty, shape) {
            (Type::Dynamic, _) => {
                let wrapped = self.read(|reader| reader.dynamic(head))?;
                let depth = self.trail.enter(depth)?;
                self.value(&wrapped, depth)
            }
            (Type::String, _) => match self.read(|reader| reader.string(head))? {
                Some(s) => Ok(Value::String(s)),
                None => Err(self.mismatch(ty, head)),
            },
            (Type::Number, _) => match self.read(|reader| reader.number(head))? {
                Some(n) => Ok(Value::Number(n)),
                None => Err(self.mismatch(ty, head)),
            },
            (Type::Bool, _) => R::bool(head)
                .map(Value::Bool)
                .ok_or_else(|| self.mismatch(ty, head)),
            (Type::List(element) | Type::Set(element), Shape::Array(len)) => {
                let depth = self.trail.enter(depth)?;
                let items = self.items(len, std::iter::repeat(&**element), depth)?;
                Ok(if matches!(ty, Type::Set(_)) {
                    Value::Set(items)
                } else {
                    Value::List(items)
                })
            }
            (Type::Tuple(elements), Shape::Array(len)) => {
                if len != elements.len() {
                    return Err(self.trail.error(format!(
                        "expected a tuple of {} elements, found an array of {len}",
                        elements.len()
                    )));
                }
                let depth = self.trail.enter(depth)?;
                self.items(len, elements.iter(), depth).map(Value::Tuple)
            }
            (Type::Map(element), Shape::Map(len)) => {
                let depth = self.trail.enter(depth)?;
                let entries = self.entries(len, depth, |key| {
                    Ok((&**element, PathStep::Key(key), "map key"))
                })?;
                Ok(Value::Map(entries))
            }
            (Type::Object(attributes), Shape::Map(len)) => {
                let depth = self.trail.enter(depth)?;
                let mut entries = self.entries(len, depth, |name| match attributes.get(&name) {
                    Some(ty) => Ok((ty, PathStep::Attribute(name), "attribute")),
                    None => Err(format!("object has no attribute {name:?}")),
                })?;
                self.spend(attributes.len().saturating_sub(entries.len()))?;
                for name in attributes.keys() {
                    if !entries.contains_key(name) {
                        entries.insert(name.clone(), Value::Null);
                    }
                }
                Ok(Value::Object(entries))
            }
            (Type::List(_) | Type::Set(_) | Type::Tuple(_) | Type::Map(_) | Type::Object(_), _) => {
                Err(self.mismatch(ty, head))
            }
        }
    }

    /// Reads `len` elements typed in turn by `types`.
    fn items<'t>(
        &mut self,
        len: usize,
        types: impl Iterator<Item = &'t Type>,
        depth: usize,
    ) -> Result<Vec<Value>, CodecError> {
        self.read(|reader| reader.check_count(len, 1))?;
        let mut out = Vec::with_capacity(len.min(1024));
        for (index, ty) in types.take(len).enumerate() {
            self.trail.push_index(index);
            out.push(self.value(ty, depth)?);
            self.trail.pop();
        }
        Ok(out)
    }

    /// Reads `len` entries; `slot` gives the type of the value under a key,
    /// its path step, and what to call a key that comes twice.
    fn entries<'t>(
        &mut self,
        len: usize,
        depth: usize,
        slot: impl Fn(String) -> Result<(&'t Type, PathStep, &'static str), String>,
    ) -> Result<BTreeMap<String, Value>, CodecError> {
        self.read(|reader| reader.check_count(len, 2))?;
        let mut out = BTreeMap::new();
        for _ in 0..len {
            let key = self.read(R::key)?;
            let (ty, step, what) = slot(key).map_err(|message| self.trail.error(message))?;
            if let PathStep::Attribute(key) | PathStep::Key(key) = &step {
                if !R::LAST_KEY_WINS && out.contains_key(key) {
                    return Err(self.trail.error(format!("duplicate {what} {key:?}")));
                }
            }
            self.trail.push(step);
            let value = self.value(ty, depth)?;
            if let Some(PathStep::Attribute(key) | PathStep::Key(key)) = self.trail.pop() {
                out.insert(key, value);
            }
        }
        Ok(out)
    }
}
