//! Device attributes and the equality selectors that DeviceClasses and DeviceClaims use
//! in place of DRA's CEL expressions.

use super::MAX_ATTRIBUTES;

/// An attribute's value (DRA's `DeviceAttribute`: exactly one of bool, int, string).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributeValue {
    /// `bool`.
    Bool(bool),
    /// `int`.
    Int(i64),
    /// `string`.
    Str(&'static str),
}

/// A named attribute, e.g. `manawell.io/essence: "fire"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attribute {
    /// Qualified name (`<domain>/<id>`).
    pub name: &'static str,
    /// Its value.
    pub value: AttributeValue,
}

/// Up to `MAX_ATTRIBUTES` attributes (or selectors) in declaration order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attributes {
    items: [Option<Attribute>; MAX_ATTRIBUTES],
}

impl Attributes {
    /// No attributes.
    pub const EMPTY: Attributes = Attributes {
        items: [None; MAX_ATTRIBUTES],
    };

    /// The first `MAX_ATTRIBUTES` of `list`; a later entry with the same name replaces
    /// an earlier one.
    pub fn new(list: &[Attribute]) -> Attributes {
        let mut out = Attributes::EMPTY;
        for a in list {
            out.set(*a);
        }
        out
    }

    /// Sets `attr`, replacing one of the same name; ignored when full.
    pub fn set(&mut self, attr: Attribute) {
        if let Some(slot) = self
            .items
            .iter_mut()
            .flatten()
            .find(|a| a.name == attr.name)
        {
            *slot = attr;
        } else if let Some(slot) = self.items.iter_mut().find(|a| a.is_none()) {
            *slot = Some(attr);
        }
    }

    /// The value of the attribute named `name`.
    pub fn get(&self, name: &str) -> Option<AttributeValue> {
        self.iter().find(|a| a.name == name).map(|a| a.value)
    }

    /// The attributes in order.
    pub fn iter(&self) -> impl Iterator<Item = &Attribute> {
        self.items.iter().flatten()
    }

    /// Every entry, read as a selector, holds on `attributes`: an attribute of that name
    /// with an equal value exists (an absent attribute fails, as a CEL lookup would).
    pub fn selected_by(&self, attributes: &Attributes) -> bool {
        self.iter().all(|s| attributes.get(s.name) == Some(s.value))
    }
}

impl Default for Attributes {
    fn default() -> Self {
        Attributes::EMPTY
    }
}
